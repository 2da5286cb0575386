# Sensor helpers: a linear-interpolation calibration table read from data/calibration.csv.


def parse_calibration(text):
    table = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        raw, value = line.split(",")
        table.append((int(raw), float(value)))
    table.sort()
    return table


def calibrated(table, raw):
    if raw <= table[0][0]:
        return table[0][1]
    for (r0, v0), (r1, v1) in zip(table, table[1:]):
        if raw <= r1:
            return v0 + (v1 - v0) * (raw - r0) / (r1 - r0)
    return table[-1][1]
