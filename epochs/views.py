from django.shortcuts import render


def epoch_list(request):
    return render(request, "epochs/epoch_list.html", {})


def candles(request):
    return render(request, "epochs/candles.html", {})
