/**
 * The helper process behind `PtyBridge` (pty.ts), in Python because Node has no openpty()
 * and python3 is on every machine this project runs on (no binary to download, unlike a
 * native addon). It:
 *  - opens a pseudo-terminal pair, sets the slave raw and keeps it open (so the device
 *    survives clients coming and going, as a USB port does), and prints `READY <slave path>`;
 *  - relays bytes between the master and two FIFOs in a directory Node gives it, so that Node
 *    can read the host's bytes *synchronously* (`fs.readSync`) while the MicroPython VM runs:
 *    that is how picocom's or mpremote's Ctrl-C reaches a busy main.py;
 *  - optionally listens on a unix socket (the `serve` control channel) and forwards each line.
 * Frames on both FIFOs: 1 type byte, 4-byte big-endian length, payload.
 *   helper -> node: 'D' pty bytes, 'C' "<client> <line>" control line
 *   node -> helper: 'D' bytes for the pty, 'R' "<client> <reply>" control reply
 * The helper exits when its stdin (a pipe from Node) closes.
 */
export const PTY_HELPER_PY = String.raw`
import os, sys, pty, tty, select, socket, struct, errno, time, collections

d = sys.argv[1]
ctl_path = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
m, s = pty.openpty()
tty.setraw(s)
os.set_blocking(m, False)
to_node = os.path.join(d, 'out')
from_node = os.path.join(d, 'in')
os.mkfifo(to_node)
os.mkfifo(from_node)
fin = os.open(from_node, os.O_RDWR | os.O_NONBLOCK)
srv = None
if ctl_path:
    try:
        os.unlink(ctl_path)
    except OSError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(ctl_path)
    srv.listen(8)
    srv.setblocking(False)
sys.stdout.write('READY ' + os.ttyname(s) + '\n')
sys.stdout.flush()
fout = os.open(to_node, os.O_WRONLY)
os.set_blocking(fout, False)
pending = bytearray()
# module output not yet taken by the pty: (time queued, bytes) chunks
to_pty = collections.deque()
to_pty_len = 0
inbuf = bytearray()
clients = {}
cbuf = {}
next_id = 1

def send(kind, payload):
    pending.extend(kind + struct.pack('>I', len(payload)) + payload)

while True:
    rl = [0, m, fin] + ([srv] if srv else []) + list(clients.values())
    wl = ([fout] if pending else []) + ([m] if to_pty else [])
    r, w, _ = select.select(rl, wl, [], 1.0)
    if 0 in r and not os.read(0, 4096):
        break
    if m in r:
        try:
            data = os.read(m, 65536)
            if data:
                send(b'D', data)
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EIO):
                raise
    if fin in r:
        try:
            inbuf.extend(os.read(fin, 65536))
        except BlockingIOError:
            pass
        while len(inbuf) >= 5:
            n = struct.unpack('>I', bytes(inbuf[1:5]))[0]
            if len(inbuf) < 5 + n:
                break
            kind, payload = bytes(inbuf[0:1]), bytes(inbuf[5:5 + n])
            del inbuf[0:5 + n]
            if kind == b'D':
                # queued, not written here: a pty buffer filled by a slow reader must hold the
                # bytes back, not drop them
                to_pty.append((time.monotonic(), bytearray(payload)))
                to_pty_len += len(payload)
            elif kind == b'R':
                cid, _, reply = payload.partition(b' ')
                c = clients.get(int(cid))
                if c is not None:
                    try:
                        c.sendall(reply + b'\n')
                    except OSError:
                        pass
    if srv and srv in r:
        c, _ = srv.accept()
        clients[next_id] = c
        cbuf[next_id] = b''
        next_id += 1
    for cid, c in list(clients.items()):
        if c in r:
            try:
                data = c.recv(4096)
            except OSError:
                data = b''
            if not data:
                c.close()
                del clients[cid]
                del cbuf[cid]
                continue
            cbuf[cid] += data
            while b'\n' in cbuf[cid]:
                line, _, rest = cbuf[cid].partition(b'\n')
                cbuf[cid] = rest
                send(b'C', str(cid).encode() + b' ' + line.rstrip(b'\r'))
    # Output nobody took for 2 s, or beyond 256 KiB, is dropped: nobody is reading (no client,
    # or one that stopped), as on a UART with no one listening. A client that connects later
    # then sees recent output only; a reader that pauses briefly loses nothing.
    now = time.monotonic()
    while to_pty and (now - to_pty[0][0] > 2.0 or to_pty_len > 262144):
        to_pty_len -= len(to_pty.popleft()[1])
    while to_pty:
        try:
            n = os.write(m, to_pty[0][1])
        except BlockingIOError:
            break
        except OSError:
            # the pty is gone (EIO): the bytes go nowhere, as on an unplugged cable
            to_pty.clear()
            to_pty_len = 0
            break
        to_pty_len -= n
        if n < len(to_pty[0][1]):
            del to_pty[0][1][0:n]
            break
        to_pty.popleft()
    if fout in w and pending:
        try:
            n = os.write(fout, pending)
            del pending[0:n]
        except BlockingIOError:
            pass
`;
