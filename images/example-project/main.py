# flashbak example application: what a production QuecPython project looks like after
# `flashbak merge`. main.py and config/ are backed up to /bak (see flashbak.json), so the
# boot-time check restores them if they are damaged; data/ and notes.txt are not protected.
import ujson
import utime
import SecureData
import file_crc32

PROJECT_NAME = "flashbak-example"
PROJECT_VERSION = "1.0.0"

# SecureData slot 1 (52 bytes): a per-device key that must survive reflashing, which wipes
# /usr and /bak. Read returns -2 when the slot was never written.
KEY_SLOT = 1


def parse_calibration(text):
    # data/calibration.csv: "raw,value" lines, '#' comments.
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
    # Linear interpolation between the two calibration points around `raw`.
    if raw <= table[0][0]:
        return table[0][1]
    for (r0, v0), (r1, v1) in zip(table, table[1:]):
        if raw <= r1:
            return v0 + (v1 - v0) * (raw - r0) / (r1 - r0)
    return table[-1][1]


def load_json(path):
    with open(path, "r") as f:
        return ujson.loads(f.read())


def device_key():
    buf = bytearray(52)
    n = SecureData.Read(KEY_SLOT, buf, 52)
    if n == -2:
        key = b"example-key-" + str(utime.ticks_ms()).encode()
        SecureData.Store(KEY_SLOT, key, len(key))
        print("provisioned a new device key in SecureData slot", KEY_SLOT)
        return key
    return bytes(buf[:n])


def check_protected():
    # The same comparison the boot makes: the device's CRC of each file against checksum.json.
    bad = []
    for item in load_json("/usr/checksum.json"):
        crc = file_crc32.calc(item["name"])
        if crc is None or int(crc, 16) != int(item["crc32"], 16):
            bad.append(item["name"])
    return bad


def main():
    app = load_json("/usr/config/app.json")
    net = load_json("/usr/config/network.json")
    print(PROJECT_NAME, PROJECT_VERSION, "on", app["device_name"])
    print("apn", net["apn"], "report every", app["report_interval_s"], "s")
    key = device_key()
    print("device key", len(key), "bytes")
    print("main.py crc", file_crc32.calc("/usr/main.py"))
    bad = check_protected()
    print("protected files", "all intact" if not bad else "changed: " + ", ".join(bad))
    with open("/usr/data/calibration.csv", "r") as f:
        table = parse_calibration(f.read())
    print("calibration points", len(table), "reading", calibrated(table, 512))


main()
