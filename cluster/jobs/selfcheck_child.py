"""The child-process half of the worker self-check: timed steps reported as JSON lines."""

import argparse
import os
import time

from cluster.jobs.process import emit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--done", default="")
    args = parser.parse_args()
    done = [int(s) for s in args.done.split(",") if s]
    ran = []
    emit(log=f"child process {os.getpid()} started")
    for step in range(args.steps):
        if step in done:
            continue
        time.sleep(args.seconds)
        done.append(step)
        ran.append(step)
        emit(state={"done_steps": done})
        emit(progress=[len(done), args.steps, f"step {step + 1} of {args.steps}"])
    emit(result={"steps": args.steps, "ran_this_attempt": ran, "child_pid": os.getpid()})


if __name__ == "__main__":
    main()
