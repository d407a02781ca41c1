#!/usr/bin/env bash
# The Debian package, built and checked as CI does (.ci/run): built with
# scripts/package; inspected (dpkg-deb -I, -c, the files and conffile it
# must have, dependencies computed); lintian (errors fail, warnings shown);
# the unit verified and its exposure scored by systemd-analyze; then the
# programs extracted with dpkg -x run as the unit runs them
# (packaging/check_deb.py: --version, one message, the dashboard, SIGTERM).
#
#   packaging/check.sh         needs scripts/deps.sh package; no systemd
#                              running, no root (as root the server runs as
#                              another user, as under DynamicUser=yes)
set -euo pipefail
cd "$(dirname "$0")/.."
fail() {
    echo "package check: $*" >&2
    exit 1
}

deb=$(scripts/package | tail -n 1)
echo "--- dpkg-deb -I $deb"
dpkg-deb -I "$deb"
echo "--- dpkg-deb -c $deb"
listing=$(dpkg-deb -c "$deb")
echo "$listing"
for f in usr/bin/sockchat usr/bin/sockchat-server usr/bin/sockchat-admin \
    usr/share/man/man1/sockchat.1.gz usr/share/man/man1/sockchat-server.1.gz \
    usr/share/man/man1/sockchat-admin.1.gz lib/systemd/system/sockchat-server.service \
    etc/default/sockchat usr/share/doc/sockchat/README.Debian \
    usr/share/doc/sockchat/copyright usr/share/doc/sockchat/changelog.gz; do
    grep -q " \./$f\$" <<<"$listing" || fail "$deb has no /$f"
done
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libncursesw6 libhiredis0.14 libssl3; do
    grep -q "\b$lib\b" <<<"$depends" || fail "Depends ($depends) has no $lib"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles | grep -qx /etc/default/sockchat ||
    fail "/etc/default/sockchat is not a conffile"

echo "--- lintian $deb"
# Errors fail (lintian's default); warnings and infos are printed.
lintian --display-info "$deb" 2>&1 | grep -v '^running with root privileges' || true
lintian "$deb" 2>/dev/null || fail "lintian found errors"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # as root, the server runs as another user: it must reach root/usr/bin
dpkg -x "$deb" "$tmp/root"

# verify wants the ExecStart program to exist: the packaged unit with its
# path pointed into the extracted tree (--root= finds no sysinit.target in
# a tree without systemd, and nothing but the path is changed).
mkdir "$tmp/unit"
unit=$tmp/unit/sockchat-server.service
sed "s|^ExecStart=/usr/bin/|ExecStart=$tmp/root/usr/bin/|" \
    "$tmp/root/lib/systemd/system/sockchat-server.service" >"$unit"
grep -q "^ExecStart=$tmp/root/usr/bin/sockchat-server " "$unit" || fail "no ExecStart in the unit"
echo "--- systemd-analyze verify sockchat-server.service"
systemd-analyze verify --man=no "$unit" || fail "systemd-analyze verify failed"
echo "ok"
echo "--- systemd-analyze security --offline=yes sockchat-server.service"
# Its scale is 0-100 for --threshold (printed as 0.0-10.0): above 2.0
# means some hardening was lost.
systemd-analyze security --offline=yes --threshold=20 "$unit" >"$tmp/security" ||
    { cat "$tmp/security"; fail "exposure above 2.0"; }
grep -E '^✗|Overall' "$tmp/security"

echo "--- the extracted programs, run as the unit runs them"
python3 packaging/check_deb.py "$tmp/root"
