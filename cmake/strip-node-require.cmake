# Run after linking the browser module (cmake -DFILE=<.mjs> -P this).
# libsodium's start-up probe for a random source ends in require("crypto"),
# a Node-only module that makes browser bundlers (Vite) warn and stub it.
# The probe never gets there: js-glue always supplies Module.getRandomValue
# (random.js) before the module starts. So the call is replaced by a value
# that makes the probe's own try/catch report "no secure random source".
file(READ "${FILE}" text)
string(FIND "${text}" "require(\"crypto\")" at)
if(at EQUAL -1)
  message(FATAL_ERROR "strip-node-require: require(\"crypto\") not found in ${FILE}; has the Emscripten output changed?")
endif()
string(REPLACE "require(\"crypto\")" "undefined" text "${text}")
string(FIND "${text}" "require(" left)
if(NOT left EQUAL -1)
  message(FATAL_ERROR "strip-node-require: ${FILE} still calls require(); a browser bundle would pull in a Node module")
endif()
file(WRITE "${FILE}" "${text}")
