#!/usr/bin/env bash
# One-shot set-up for a fresh Debian bookworm machine: system packages, npm
# dependencies and the wasm builds of libsodium and cJSON. Every step checks
# first and does nothing when its result is already there, so a second run
# is quick. Called by `npm start`, `npm test` and `npm run build`.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${STARLING_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/starling}
wasm_cflags=${STARLING_WASM_CFLAGS:--O3}  # flags for libsodium/cJSON in wasm; part of the cache key
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] FAILED:\033[0m %s\n' "$*" >&2; exit 1; }

# --- Debian packages --------------------------------------------------------
apt_packages=(emscripten autoconf automake libtool pkg-config cmake make gcc
  libsodium-dev libcjson-dev clang libclang-rt-14-dev chromium dpkg-dev clang-format cppcheck git
  nginx coturn redis-server iptables iproute2 conntrack openssl)

install_apt_packages() {
  local missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && { say "Debian packages: all present"; return; }
  say "Debian packages: installing ${missing[*]}"
  [ "$(id -u)" = 0 ] || die "need root to apt-get install ${missing[*]} (run as root or install them yourself)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed: check the network and /etc/apt/sources.list.d"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed (see the messages above)"
}

# --- npm dependencies ---------------------------------------------------------
install_npm_packages() {
  local stamp="$here/node_modules/.starling-lock-stamp"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$here/package.json" ] && \
     { [ ! -f "$here/package-lock.json" ] || [ "$stamp" -nt "$here/package-lock.json" ]; }; then
    say "npm dependencies: up to date"; return
  fi
  say "npm dependencies: installing"
  (cd "$here" && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; \
     else npm install --no-audit --no-fund; fi) >/dev/null \
    || die "npm install failed (see npm's messages above)"
  touch "$stamp"
}

# --- Debian source packages, built with emcc -----------------------------------
emcc_version() { NODE_PATH=/usr/share/nodejs emcc --version 2>/dev/null | head -1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1; }

enable_deb_src() {
  local f=/etc/apt/sources.list.d/starling-src.sources
  grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null && return
  say "enabling deb-src for bookworm (to fetch libsodium and cJSON sources)"
  cat >"$f" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -qq || die "apt-get update (deb-src) failed"
}

fetch_source() { # $1 = source package, $2 = dir to unpack into
  local pkg=$1 dest=$2
  mkdir -p "$dest"
  (cd "$dest" && apt-get source --download-only "$pkg" >/dev/null 2>&1) || {
    enable_deb_src
    (cd "$dest" && apt-get source --download-only "$pkg" >/dev/null) || die "apt-get source $pkg failed"
  }
}

build_libsodium_wasm() { # $1 = prefix
  local prefix=$1 work; work=$(mktemp -d)
  fetch_source libsodium "$work"
  tar -C "$work" -xf "$work"/libsodium_*.orig.tar.* || die "cannot unpack libsodium source"
  local src; src=$(find "$work" -maxdepth 1 -type d -name 'libsodium-*' | head -1)
  say "libsodium wasm: configuring (./autogen.sh + emconfigure)"
  (cd "$src" && ./autogen.sh -s >/dev/null 2>&1 && \
     NODE_PATH=/usr/share/nodejs CFLAGS="$wasm_cflags" emconfigure ./configure --host=wasm32-unknown-emscripten \
       --prefix="$prefix" --disable-shared --without-pthreads --disable-ssp --disable-asm --disable-pie \
       >"$work/configure.log" 2>&1) || die "libsodium configure failed: see $work/configure.log"
  say "libsodium wasm: compiling (about 3 minutes on 2 cores)"
  (cd "$src" && NODE_PATH=/usr/share/nodejs emmake make -j"$(nproc)" install >"$work/make.log" 2>&1) \
    || die "libsodium build failed: see $work/make.log"
  rm -rf "$work"
}

build_cjson_wasm() { # $1 = prefix
  local prefix=$1 work; work=$(mktemp -d)
  fetch_source cjson "$work"
  tar -C "$work" -xf "$work"/cjson_*.orig.tar.* || die "cannot unpack cJSON source"
  local src; src=$(find "$work" -maxdepth 1 -type d -iname 'cjson-*' | head -1)
  say "cJSON wasm: compiling"
  mkdir -p "$prefix/include/cjson" "$prefix/lib"
  (cd "$src" && NODE_PATH=/usr/share/nodejs emcc $wasm_cflags -c cJSON.c -o cJSON.o && emar rcs "$prefix/lib/libcjson.a" cJSON.o) \
    >"$work/make.log" 2>&1 || die "cJSON build failed: see $work/make.log"
  cp "$src/cJSON.h" "$prefix/include/cjson/"
  rm -rf "$work"
}

build_wasm_deps() {
  local ev; ev=$(emcc_version) || true
  [ -n "$ev" ] || die "emcc not found after installing emscripten"
  local key="emcc-$ev-libsodium-$(dpkg-query -W -f='${Version}' libsodium-dev)-cjson-$(dpkg-query -W -f='${Version}' libcjson-dev)-$(printf '%s' "$wasm_cflags" | tr -c 'A-Za-z0-9=.+-' '_')-v1"
  local prefix="$cache/deps/$key"
  if [ -f "$prefix/.done" ]; then
    say "wasm deps: cached at $prefix"
  else
    rm -rf "$prefix"; mkdir -p "$prefix"
    build_libsodium_wasm "$prefix"
    build_cjson_wasm "$prefix"
    touch "$prefix/.done"
    say "wasm deps: built into $prefix"
  fi
  mkdir -p "$here/build"
  ln -sfn "$prefix" "$here/build/wasm-deps"
}

main() {
  local what=${1:-all}
  install_apt_packages
  [ "$what" = system ] && return
  install_npm_packages
  build_wasm_deps
}
main "$@"
