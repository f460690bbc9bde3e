# libsodium and cJSON: Debian's packages for native builds; for Emscripten,
# the wasm builds made by scripts/setup.sh (SL_WASM_DEPS, a cache folder
# keyed by versions and flags, linked at build/wasm-deps).
if(EMSCRIPTEN)
  set(SL_WASM_DEPS "${CMAKE_SOURCE_DIR}/build/wasm-deps" CACHE PATH "wasm builds of libsodium and cJSON")
  if(NOT EXISTS "${SL_WASM_DEPS}/lib/libsodium.a")
    message(FATAL_ERROR "no wasm libsodium in ${SL_WASM_DEPS}: run scripts/setup.sh (npm run setup) first")
  endif()
  add_library(sl::sodium STATIC IMPORTED)
  set_target_properties(sl::sodium PROPERTIES
    IMPORTED_LOCATION "${SL_WASM_DEPS}/lib/libsodium.a"
    INTERFACE_INCLUDE_DIRECTORIES "${SL_WASM_DEPS}/include")
  add_library(sl::cjson STATIC IMPORTED)
  set_target_properties(sl::cjson PROPERTIES
    IMPORTED_LOCATION "${SL_WASM_DEPS}/lib/libcjson.a"
    INTERFACE_INCLUDE_DIRECTORIES "${SL_WASM_DEPS}/include")
else()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
  pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson)
  add_library(sl::sodium ALIAS PkgConfig::SODIUM)
  add_library(sl::cjson ALIAS PkgConfig::CJSON)
endif()
