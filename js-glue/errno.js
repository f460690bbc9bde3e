// errno.js — the C core's error numbers that the glue raises itself, before
// calling into C. They mirror the SL_E* macros in src/include/starling.h;
// tests/js/constants.test.js checks each against the header.
export const ERRNO = {
  EPEERID: -10,
  EFRAME_TOO_LARGE: -21,
  EFRAME_TYPE: -22,
  EHS_TOO_LARGE: -35,
  ESESSION_TOO_LARGE: -42,
  EURL: -70,
  EHUB_AUTH: -72,
  ENOMEM: -2,
  EGOSSIP_UNKNOWN_PEER: -98,
  EMULTIADDR: -100,
  EDISCOVERY: -101,
  EPEER_RECORD: -102,
};
