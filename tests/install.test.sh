#!/bin/sh
# make install honours PREFIX and DESTDIR and installs the binary, the
# library, the public header and a pkg-config file that a program can build
# against.
set -u
# The sanitizer build's library needs the sanitizer runtime to link; the
# installed files are the same, so this test runs with the plain build only.
case "${BUILD:-build}" in build) ;; *) echo "install test with ${BUILD}: skipping (plain build only)"; exit 0 ;; esac
. tests/lib.sh
MAKEFLAGS= make -s install BUILD=build PREFIX=/opt/wandel DESTDIR="$T/root" >/dev/null || { echo "FAIL make install"; exit 1; }
for f in bin/wandel lib/libwandel.a include/wandel.h lib/pkgconfig/wandel.pc; do
    if [ -e "$T/root/opt/wandel/$f" ]; then ok "$f"; else bad "$f not installed"; fi
done
"$T/root/opt/wandel/bin/wandel" --version | grep -q "^wandel " && ok "installed binary runs" || bad "installed binary"
grep -q "^prefix=/opt/wandel$" "$T/root/opt/wandel/lib/pkgconfig/wandel.pc" && ok "pkg-config prefix" || bad "wandel.pc prefix"
# a program built against the installed files (the prefix relocated into DESTDIR)
sed "s|^prefix=.*|prefix=$T/root/opt/wandel|" "$T/root/opt/wandel/lib/pkgconfig/wandel.pc" >"$T/wandel.pc"
cat >"$T/use.c" <<'C'
#include <wandel.h>
int main(void)
{
    wd_diags *d = wd_diags_new();
    wd_model *m = NULL;
    int st = wd_model_from_string("x = 1 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\n", "t.mdl", d, &m);
    wd_model_free(m);
    wd_diags_free(d);
    return st;
}
C
if PKG_CONFIG_PATH="$T" cc -o "$T/use" "$T/use.c" $(PKG_CONFIG_PATH="$T" pkg-config --cflags --libs --static wandel) && "$T/use"; then
    ok "a program builds and links against the installed library"
else
    bad "building against the installed library"
fi
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
