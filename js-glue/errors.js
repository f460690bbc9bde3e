// errors.js — Error classes carrying the C core's stable codes.

/** Base class: `code` is a stable string (e.g. "FRAME_TOO_LARGE"), `errno` the C code. */
export class StarlingError extends Error {
  constructor(code, message, errno = 0) {
    super(message);
    this.name = 'StarlingError';
    this.code = code;
    this.errno = errno;
  }
}

export class FrameError extends StarlingError {
  constructor(code, message, errno, frames = []) {
    super(code, message, errno);
    this.name = 'FrameError';
    /** Frames decoded from the same push() before the error. */
    this.frames = frames;
  }
}

export class HandshakeError extends StarlingError {
  constructor(code, message, errno) {
    super(code, message, errno);
    this.name = 'HandshakeError';
  }
}

export class SessionError extends StarlingError {
  constructor(code, message, errno) {
    super(code, message, errno);
    this.name = 'SessionError';
  }
}
