/**
 * The module side of a serial line. A UART personality (the MicroPython REPL, the ROM download
 * mode) is a `UartPeer`: it is handed the bytes the host sent and answers through the
 * `UartTx` it was built with. Pacing at the baud rate, pseudo-terminals and serialport
 * bindings are layered on top (see firmware-sim/serial/*), so a personality never knows how it
 * is reached.
 */
export interface UartTx {
  /** Queue bytes from the module to the host. */
  send(data: Uint8Array): void;
}

export interface UartPeer {
  /** Bytes that arrived from the host, in order. */
  receive(data: Uint8Array): void;
  /** The line's baud rate changed (the host reconfigured it). Optional. */
  baudChanged?(baud: number): void;
  /** Modem lines changed (DTR/RTS from the host). Optional: used for reset sequences. */
  signalsChanged?(signals: { dtr: boolean; rts: boolean }): void;
}
