# Reference statistics of spot-price paths for the e2e tests of issue 8.6
# (written independently of the C code): resample a piecewise-constant price
# history every 300 s, then its mean, population standard deviation, spikes
# (maximal runs above a threshold: count, durations in hours) and the
# two-sample Kolmogorov-Smirnov distance of two such samples.
import csv, gzip, statistics


def read_aws_csv(path, itype, az):
    with gzip.open(path, "rt") as f:
        return sorted((int(r["epoch_s"]), float(r["spot_price_usd_per_hour"]))
                      for r in csv.DictReader(f)
                      if r["instance_type"] == itype and r["availability_zone"] == az)


def read_metrics_csv(path, key_prefix="spot_prices"):
    with open(path) as f:
        return sorted((int(r["timestamp"]), float(r["value"]))
                      for r in csv.DictReader(f) if r["key"].startswith(key_prefix))


def grid(pts, t0=None, t1=None, dt=300):
    t0 = pts[0][0] if t0 is None else t0
    t1 = pts[-1][0] if t1 is None else t1
    out, j = [], 0
    for t in range(t0, t1 + 1, dt):
        while j + 1 < len(pts) and pts[j + 1][0] <= t:
            j += 1
        out.append(pts[j][1])
    return out


def spikes(g, threshold, dt=300):
    runs, n = [], 0
    for x in g + [float("-inf")]:
        if x > threshold:
            n += 1
        elif n:
            runs.append(n * dt / 3600)
            n = 0
    return runs


def stats(g, threshold):
    runs = spikes(g, threshold)
    return {
        "mean": statistics.fmean(g),
        "sd": statistics.pstdev(g),
        "spikes": len(runs),
        "spike_h_median": statistics.median(runs) if runs else 0.0,
        "spike_h_mean": statistics.fmean(runs) if runs else 0.0,
        "spike_share": sum(1 for x in g if x > threshold) / len(g),
    }


def ks(a, b):
    a, b = sorted(a), sorted(b)
    i = j = 0
    d = 0.0
    while i < len(a) and j < len(b):
        x = min(a[i], b[j])
        while i < len(a) and a[i] <= x:
            i += 1
        while j < len(b) and b[j] <= x:
            j += 1
        d = max(d, abs(i / len(a) - j / len(b)))
    return d
