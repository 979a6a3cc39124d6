"""One colour convention for every chart and page.

The side of a position and its outcome are two different questions, so they get two
different pairs of colours: a won short is the same "won" colour as a won long on every chart.

* side: long is blue, short is orange;
* outcome: won is green, lost is red;
* a regression's direction (increase, decrease) reads like the side (up like long, down like short);
* reference lines (buy and hold, a baseline) are grey.
"""

LONG = "#2563eb"
SHORT = "#f97316"
WON = "#16a34a"
LOST = "#dc2626"
INCREASE = LONG
DECREASE = SHORT
REFERENCE = "#94a3b8"
REFERENCE_DARK = "#475569"
SELECTION = "#2563eb"
HOLDOUT = "#7c3aed"
FORWARD = "#0891b2"

# Series that are neither a side nor an outcome: the line a chart is about (an SMA, a balance)
# and a second one beside it; an epoch's ranges and the gaps of a candle store.
MAIN = "#0f766e"
SECOND = "#a16207"
TRAINING = "#64748b"
PURGE = "#f59e0b"
GAP = "#be123c"

# EBE states (EPOCA_CONTRACT.md §5.1), from best to worst.
EBE_STATES = {
    "optimal": "#15803d",
    "decent": "#65a30d",
    "neutral": "#ca8a04",
    "warning": "#ea580c",
    "error": "#dc2626",
}
