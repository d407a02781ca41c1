#!/usr/bin/env bash
# Installs the Debian packages a task needs, and only those that are missing.
# Idempotent: a second run installs nothing. Uses sudo only when not root.
#
#   scripts/deps.sh build        compiler, cmake, ncursesw, hiredis (the server's --cluster),
#                                OpenSSL 3 (TLS, both programs)
#   scripts/deps.sh test         build + Check, Python 3, tmux, ncat, ss, OpenSSH, redis-server,
#                                openssl and tcpdump (the test suite; test_cluster.py starts its
#                                own redis-server; the TLS tests talk to s_client and ncat --ssl)
#   scripts/deps.sh ci           test + lint + clang and its sanitizer/fuzzer runtime
#   scripts/deps.sh lint         build + Check, clang-format, clang-tidy, cppcheck
#   scripts/deps.sh package      build + dpkg-dev, file, lintian, python3 and
#                                systemd (for systemd-analyze): scripts/package
#   scripts/deps.sh bench        build + redis-server, ncat, openssl (bench/compare.sh, --tls)
#   scripts/deps.sh screenshots  test + aha, chromium (screenshots/make.sh)
set -euo pipefail

build=(build-essential cmake pkg-config libncurses-dev libhiredis-dev libssl-dev)
test=("${build[@]}" check python3 tmux ncat procps iproute2 valgrind openssh-server openssh-client
      redis-server openssl tcpdump)
lint=("${build[@]}" check clang-format clang-tidy cppcheck)
# file: CPack's dpkg-shlibdeps step uses it to find the ELF files.
package=("${build[@]}" dpkg-dev file lintian python3 systemd)
ci=("${test[@]}" clang libclang-rt-14-dev clang-format clang-tidy cppcheck
    dpkg-dev file lintian systemd)
bench=("${build[@]}" redis-server ncat procps python3 tmux openssl)
screenshots=("${test[@]}" aha chromium fonts-dejavu-core fonts-noto-color-emoji)

set_name=${1:-test}
case "$set_name" in
build) want=("${build[@]}") ;;
test) want=("${test[@]}") ;;
ci) want=("${ci[@]}") ;;
lint) want=("${lint[@]}") ;;
package) want=("${package[@]}") ;;
bench) want=("${bench[@]}") ;;
screenshots) want=("${screenshots[@]}") ;;
*)
    echo "usage: $0 build|test|ci|lint|package|bench|screenshots" >&2
    exit 64
    ;;
esac

# The command a package must put on PATH: a package dpkg calls installed
# whose program is gone (an image with files stripped) is reinstalled, else
# a test that needs it would only skip.
declare -A command_of=([cmake]=cmake [pkg-config]=pkg-config [python3]=python3
    [tmux]=tmux [ncat]=ncat [valgrind]=valgrind [clang]=clang
    [clang-format]=clang-format [clang-tidy]=clang-tidy [cppcheck]=cppcheck
    [redis-server]=redis-server [aha]=aha [chromium]=chromium
    [dpkg-dev]=dpkg-shlibdeps [file]=file [lintian]=lintian
    [systemd]=systemd-analyze [iproute2]=ss [openssh-client]=ssh
    [openssl]=openssl [tcpdump]=tcpdump)

missing=()
reinstall=()
for pkg in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    elif [ -n "${command_of[$pkg]:-}" ] && ! command -v "${command_of[$pkg]}" >/dev/null; then
        reinstall+=("$pkg")
    fi
done
[ ${#missing[@]} -eq 0 ] && [ ${#reinstall[@]} -eq 0 ] && exit 0

echo "deps.sh:${missing[*]:+ installing ${missing[*]}}${reinstall[*]:+ reinstalling ${reinstall[*]}}" >&2
as_root=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
        echo "deps.sh: need root or sudo to install: ${missing[*]} ${reinstall[*]}" >&2
        exit 77
    }
    as_root=(sudo)
fi
# Through env, not export: sudo resets the environment, and a debconf
# question would then stop the install waiting for an answer.
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ${#reinstall[@]} -gt 0 ]; then
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends --reinstall "${reinstall[@]}" >/dev/null
fi
for pkg in "${reinstall[@]}"; do
    command -v "${command_of[$pkg]}" >/dev/null ||
        echo "deps.sh: $pkg is installed but ${command_of[$pkg]} is not on PATH ($PATH)" >&2
done
