/**
 * Python side of the VFS bridge: a MicroPython "user VFS" class that forwards every call to
 * the host functions of `_fbhost` (host-bridge.ts). `os.mount(_FbVfs(n), '/usr')` makes
 * `open`, `os.listdir/ilistdir/stat/remove/rename/mkdir/rmdir/statvfs/chdir/getcwd` act on
 * the JS `FileSystem` registered as mount number n.
 *
 * Protocol with the host (all values are str or int, never Python objects, see
 * micropython-wasm.ts): a negative int is `-errno`; a str starting with "!" is "!errno";
 * bytes travel as hex (binascii is C code, so this costs little next to the VM itself).
 */
export const VFS_PYTHON = String.raw`
import _fbhost, binascii, json, io

def _err(r):
    if isinstance(r, int) and r < 0:
        raise OSError(-r)
    if isinstance(r, str) and r.startswith('!'):
        raise OSError(int(r[1:]))
    return r

# io.IOBase gives the file MicroPython's C stream protocol (routed to readinto/write/ioctl),
# which the importer needs to read a .py module from /usr.
class _FbFile(io.IOBase):
    def __init__(self, h, text):
        self._h = h
        self._text = text
    def _hnd(self):
        if self._h is None:
            raise ValueError('I/O operation on closed file')
        return self._h
    def read(self, n=-1):
        h = self._hnd()
        if n is None or n < 0:
            parts = []
            while True:
                c = _err(_fbhost.read(h, 16384))
                if not c:
                    break
                parts.append(c)
            raw = binascii.unhexlify(''.join(parts))
        else:
            raw = binascii.unhexlify(_err(_fbhost.read(h, n)))
        return raw.decode() if self._text else raw
    def readinto(self, buf, n=-1):
        if n < 0 or n > len(buf):
            n = len(buf)
        raw = binascii.unhexlify(_err(_fbhost.read(self._hnd(), n)))
        buf[0:len(raw)] = raw
        return len(raw)
    def readline(self, limit=-1):
        h = self._hnd()
        out = bytearray()
        while limit < 0 or len(out) < limit:
            c = binascii.unhexlify(_err(_fbhost.read(h, 1)))
            if not c:
                break
            out += c
            if c == b'\n':
                break
        return out.decode() if self._text else bytes(out)
    def readlines(self):
        lines = []
        while True:
            l = self.readline()
            if not l:
                return lines
            lines.append(l)
    def __iter__(self):
        return self
    def __next__(self):
        l = self.readline()
        if not l:
            raise StopIteration
        return l
    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        return _err(_fbhost.write(self._hnd(), binascii.hexlify(data).decode()))
    def seek(self, off, whence=0):
        return _err(_fbhost.seek(self._hnd(), off, whence))
    def tell(self):
        return _err(_fbhost.seek(self._hnd(), 0, 1))
    def flush(self):
        _err(_fbhost.sync(self._hnd()))
    def close(self):
        if self._h is not None:
            h = self._h
            self._h = None
            _err(_fbhost.close(h))
    def ioctl(self, req, arg):
        # 4 = MP_STREAM_CLOSE; flush (1) and the rest need nothing more from us.
        if req == 4:
            self.close()
        return 0
    def __enter__(self):
        return self
    def __exit__(self, *a):
        self.close()
    def __del__(self):
        self.close()

class _FbVfs:
    def __init__(self, mount):
        self._m = mount
        self._cwd = '/'
    def _p(self, path):
        if not path.startswith('/'):
            path = self._cwd.rstrip('/') + '/' + path
        parts = []
        for c in path.split('/'):
            if c == '' or c == '.':
                continue
            if c == '..':
                if parts:
                    parts.pop()
                continue
            parts.append(c)
        return '/' + '/'.join(parts)
    def mount(self, readonly, mkfs):
        pass
    def umount(self):
        pass
    def open(self, path, mode):
        h = _err(_fbhost.open(self._m, self._p(path), mode))
        return _FbFile(h, 'b' not in mode)
    def ilistdir(self, path):
        for e in json.loads(_err(_fbhost.listdir(self._m, self._p(path)))):
            yield (e[0], 0x4000 if e[1] else 0x8000, 0, e[2])
    def stat(self, path):
        r = _err(_fbhost.stat(self._m, self._p(path)))
        d, size = r.split(' ')
        mode = 0x4000 if d == 'd' else 0x8000
        return (mode, 0, 0, 0, 0, 0, int(size), 0, 0, 0)
    def mkdir(self, path):
        _err(_fbhost.mkdir(self._m, self._p(path)))
    def rmdir(self, path):
        _err(_fbhost.rmdir(self._m, self._p(path)))
    def remove(self, path):
        _err(_fbhost.remove(self._m, self._p(path)))
    def rename(self, a, b):
        _err(_fbhost.rename(self._m, self._p(a), self._p(b)))
    def chdir(self, path):
        p = self._p(path)
        r = _err(_fbhost.stat(self._m, p))
        if not r.startswith('d'):
            raise OSError(20)
        self._cwd = p
    def getcwd(self):
        return self._cwd
    def statvfs(self, path):
        return tuple(json.loads(_err(_fbhost.statvfs(self._m))))
`;
