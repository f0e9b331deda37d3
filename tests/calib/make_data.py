#!/usr/bin/env python3
"""Writes the synthetic observations the calibration tests fit
(tests/test_calib.c, tests/calib.test.sh): closed-form solutions of the
test models plus Gaussian noise from Python's own Mersenne Twister with a
fixed seed, so that the files are reproduced exactly by

    /usr/bin/python3 tests/calib/make_data.py

logistic.csv (long format): P(t) = K / (1 + (K/P0 - 1) exp(-r t)) with
r = 0.5 /year, K = 500, P0 = 10, noise sd 5 persons, at t = 1..30 and 12.3
(a time between two TIME STEPs of the model, read by interpolation).
twostock.csv (wide format): A(t) = A0 exp(-k1 t), B(t) = A0 k1/(k2 - k1)
(exp(-k1 t) - exp(-k2 t)) with A0 = 1000, k1 = 0.3, k2 = 0.12, noise sd 10
(A) and 5 (B), at t = 0..40.
"""
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def logistic():
    rng = random.Random(20240601)
    r, K, P0, sd = 0.5, 500.0, 10.0, 5.0
    src = "synthetic: logistic r=0.5 K=500 P0=10 plus N(0, 5^2) noise (make_data.py, seed 20240601)"
    times = sorted([float(t) for t in range(1, 31)] + [12.3])
    with open(os.path.join(HERE, "logistic.csv"), "w") as f:
        f.write("region,variable,year,value,unit,source\n")
        for t in times:
            p = K / (1 + (K / P0 - 1) * math.exp(-r * t))
            f.write('Testland,population,%g,%.4f,persons,"%s"\n' % (t, p + rng.gauss(0, sd), src))
        # rows of another series the match must skip
        for t in range(1, 6):
            f.write('Testland,area,%d,%d,km2,"synthetic: constant"\n' % (t, 100))


def twostock():
    rng = random.Random(7)
    A0, k1, k2 = 1000.0, 0.3, 0.12
    src = "synthetic: A0=1000 k1=0.3 k2=0.12 plus N(0, 10^2) on A and N(0, 5^2) on B (make_data.py, seed 7)"
    with open(os.path.join(HERE, "twostock.csv"), "w") as f:
        f.write("year,A,B,source\n")
        for t in range(0, 41):
            a = A0 * math.exp(-k1 * t)
            b = A0 * k1 / (k2 - k1) * (math.exp(-k1 * t) - math.exp(-k2 * t))
            f.write('%d,%.4f,%.4f,"%s"\n' % (t, a + rng.gauss(0, 10), b + rng.gauss(0, 5), src))


logistic()
twostock()
