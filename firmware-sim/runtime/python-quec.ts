/**
 * The QuecPython modules a device script imports, written in Python over the `_fbhost`
 * functions (host-bridge.ts) so they behave as the device's frozen modules do (reference
 * quecpython-behavior.md sections 1.3, 1.6, 2): same names, same arguments, same return
 * values. Installed into `sys.modules` at every boot, before `/usr` is mounted.
 */
export const QUEC_PYTHON = String.raw`
import sys, os, binascii, json, _fbhost
import time as _ctime

class _FbPark(BaseException):
    pass

class _FbReset(BaseException):
    pass

def _reset():
    # A hardware restart: the REPL reboots the module when this reaches the top.
    raise _FbReset()

def _mod(name, **attrs):
    class _M:
        pass
    m = _M()
    for k in attrs:
        setattr(m, k, attrs[k])
    m.__name__ = name
    sys.modules[name] = m
    return m

def _sleep_us(us):
    if _fbhost.sleep_us(str(int(us))):
        raise _FbPark()

def _ticks_us():
    return int(_fbhost.now_us()) & 0x3fffffff

def _ticks_ms():
    return (int(_fbhost.now_us()) // 1000) & 0x3fffffff

def _ticks_diff(a, b):
    d = (a - b) & 0x3fffffff
    return d - 0x40000000 if d >= 0x20000000 else d

def _time():
    return int(_fbhost.epoch_s())

_mod('utime',
    sleep=lambda s: _sleep_us(s * 1000000),
    sleep_ms=lambda ms: _sleep_us(ms * 1000),
    sleep_us=_sleep_us,
    ticks_ms=_ticks_ms,
    ticks_us=_ticks_us,
    ticks_cpu=_ticks_us,
    ticks_diff=_ticks_diff,
    ticks_add=lambda t, d: (t + d) & 0x3fffffff,
    time=_time,
    localtime=lambda s=None: _ctime.localtime(_time() if s is None else s),
    mktime=_ctime.mktime,
    getTimeZone=lambda: 0)
sys.modules['time'] = sys.modules['utime']

for _a, _b in (('uos', 'os'), ('ujson', 'json'), ('ubinascii', 'binascii'), ('uhashlib', 'hashlib'),
               ('ustruct', 'struct'), ('uio', 'io'), ('uerrno', 'errno'), ('uzlib', 'zlib')):
    try:
        sys.modules[_a] = __import__(_b)
    except ImportError:
        pass

def _sd_store(index, databuf, length=None):
    if not isinstance(index, int) or index < 1 or index > 16:
        return -1
    if isinstance(databuf, str):
        databuf = databuf.encode()
    n = len(databuf) if length is None else min(length, len(databuf))
    if n < 0:
        return -1
    return _fbhost.sd_store(index, binascii.hexlify(bytes(databuf[:n])).decode())

def _sd_read(index, databuf, length=None):
    if not isinstance(index, int) or index < 1 or index > 16 or not isinstance(databuf, bytearray):
        return -1
    r = _fbhost.sd_read(index)
    if isinstance(r, int):
        return r
    raw = binascii.unhexlify(r)
    n = min(len(raw), len(databuf), len(databuf) if length is None else length)
    if n < 0:
        return -1
    databuf[0:n] = raw[0:n]
    return n

_mod('SecureData', Store=_sd_store, Read=_sd_read)

def _crc_calc(path):
    r = _fbhost.crc_calc(path)
    if r != -1:
        return r
    try:
        f = open(path, 'rb')
    except OSError:
        return None
    csum = 0xffffffff
    got = False
    try:
        while True:
            b = f.read(4096)
            if not b:
                break
            got = True
            csum = binascii.crc32(b, csum)
    except OSError:
        return None
    finally:
        f.close()
    return hex(csum) if got else None

_mod('file_crc32', calc=_crc_calc)

_CK = '/usr/checksum.json'

def _ck_load():
    with open(_CK, 'r') as f:
        return json.loads(f.read(16384))

def _ck_save(items):
    with open(_CK, 'w') as f:
        f.write(json.dumps(items))

def _ck_check():
    try:
        os.stat(_CK)
    except OSError:
        with open('/bak/checksum.json', 'r') as src:
            data = src.read(16384)
        with open(_CK, 'w') as dst:
            dst.write(data)

def _ck_retrieve(name=None):
    try:
        items = _ck_load()
    except Exception:
        return None
    if name is None:
        return items
    for it in items:
        if it['name'].lower() == name.lower():
            return it
    return None

def _ck_bulk_update(names):
    items = _ck_load()
    changed = False
    for name in names:
        for it in items:
            if it['name'].lower() == name.lower():
                crc = _crc_calc(name)
                if crc is not None:
                    it['crc32'] = crc
                    changed = True
    if changed:
        _ck_save(items)
    return items

def _ck_update(name):
    return _ck_bulk_update([name])

def _ck_usr_update(name):
    try:
        items = _ck_load()
    except OSError:
        items = []
    crc = _crc_calc(name)
    if crc is None:
        return -1
    for it in items:
        if it['name'].lower() == name.lower():
            it['crc32'] = crc
            break
    else:
        items.append({'name': name.lower(), 'crc32': crc})
    _ck_save(items)
    return items

_mod('checksum', retrieve=_ck_retrieve, update=_ck_update, bulk_update=_ck_bulk_update,
     usr_update=_ck_usr_update, check=_ck_check)

_ident = json.loads(_fbhost.identity())
_mod('modem',
    getDevImei=lambda: _ident['imei'],
    getDevModel=lambda: _ident['model'],
    getDevSN=lambda: _ident['serial'],
    getDevFwVersion=lambda: _ident['firmware'])

def _path_exists(p):
    try:
        os.stat(p)
        return True
    except OSError:
        return False

def _mkdirs(d):
    cur = ''
    for part in d.split('/'):
        if not part:
            continue
        cur += '/' + part
        if not _path_exists(cur):
            os.mkdir(cur)

def _file_copy(dst, src):
    with open(src, 'rb') as s, open(dst, 'wb') as d:
        while True:
            b = s.read(4096)
            if not b:
                break
            d.write(b)
    return True

def _read_json(p):
    with open(p, 'r') as f:
        return json.loads(f.read())

def _touch(p, data):
    with open(p, 'w') as f:
        f.write(json.dumps(data))
    return 0

_mod('ql_fs', path_exists=_path_exists, mkdirs=_mkdirs, file_copy=_file_copy, read_json=_read_json, touch=_touch)

def _unique_id():
    return binascii.unhexlify('%016x' % (int(_ident['imei']) & 0xffffffffffffffff))

class _Pin:
    IN = 0
    OUT = 1
    PULL_DISABLE = 0
    PULL_PU = 1
    PULL_PD = 2
    def __init__(self, gpio, direction=0, pull=0, level=0):
        self._gpio, self._dir, self._level = gpio, direction, level
    def write(self, level):
        self._level = 1 if level else 0
        return 0
    def read(self):
        return self._level
    def set_dir(self, d):
        self._dir = d
        return 0
for _i in range(1, 48):
    setattr(_Pin, 'GPIO%d' % _i, _i)

class _WDT:
    def __init__(self, period=60):
        self._period = period
    def feed(self):
        return 0
    def stop(self):
        return 0

_mod('machine', unique_id=_unique_id, freq=lambda: 624000000, idle=lambda: _sleep_us(1000),
     reset=_reset, soft_reset=_reset, Pin=_Pin, WDT=_WDT)

class _Power:
    @staticmethod
    def powerRestart():
        _reset()
    @staticmethod
    def powerDown():
        _reset()
    @staticmethod
    def getVbatt():
        return 3800
    @staticmethod
    def powerOnReason():
        return 1

_mod('misc', Power=_Power)

_LEVELS = {'DEBUG': 10, 'INFO': 20, 'WARNING': 30, 'ERROR': 40, 'CRITICAL': 50}
_log_level = [20]

class _Logger:
    def __init__(self, name):
        self.name = name
    def _emit(self, level, msg, args):
        if _LEVELS[level] >= _log_level[0]:
            print('%s:%s:%s' % (level, self.name, (msg % args) if args else msg))
    def debug(self, msg, *a):
        self._emit('DEBUG', msg, a)
    def info(self, msg, *a):
        self._emit('INFO', msg, a)
    def warning(self, msg, *a):
        self._emit('WARNING', msg, a)
    def error(self, msg, *a):
        self._emit('ERROR', msg, a)
    def critical(self, msg, *a):
        self._emit('CRITICAL', msg, a)

def _basic_config(level=20):
    _log_level[0] = level

_mod('log', DEBUG=10, INFO=20, WARNING=30, ERROR=40, CRITICAL=50, basicConfig=_basic_config,
     getLogger=lambda name='root': _Logger(name))

# The simulated cell is always registered and the data call up: scripts waiting for the
# network proceed at once, as on a module with a working SIM.
_imsi = '46000' + _ident['imei'][-10:]
_iccid = '8986' + _ident['imei'][-15:] + '0'
_mod('sim', getStatus=lambda: 1, getImsi=lambda: _imsi, getIccid=lambda: _iccid)
_mod('net', csqQueryPoll=lambda: 25, getState=lambda: ([0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0, 0]),
     getConfig=lambda: (8, False))
_mod('dataCall', getInfo=lambda profile=1, ip_type=0: (profile, ip_type, [1, 0, '10.0.0.2', '8.8.8.8', '8.8.4.4']),
     setCallback=lambda cb: 0)

class _CheckNetwork:
    def __init__(self, name='', version=''):
        self._name, self._version = name, version
    def poweron_print_once(self):
        print('PROJECT_NAME     : %s' % self._name)
        print('PROJECT_VERSION  : %s' % self._version)
        print('FIRMWARE_VERSION : %s' % _ident['firmware'])
        print('POWERON_REASON   : 1')
        print('SIM_CARD_STATUS  : 1')
    def wait_network_connected(self, timeout=60):
        return (3, 1)

_mod('checknet', CheckNetwork=_CheckNetwork, wait_network_connected=lambda timeout=60: (3, 1))
`;
