/*
** pyshared.c — the python3 command on Debian's libpython3.11.so, the library the `py` peer
** embeds. Debian's /usr/bin/python3.11 links its interpreter statically (built apart from the
** shared library); calibrate.py runs pyperformance's GC bodies under both, so that a figure of
** `py` can be set beside the interpreter users run with the difference of build measured,
** not assumed. It is Py_BytesMain and nothing else: `build/pyshared -c ...`, `build/pyshared
** FILE` as python3.
**
** Build macros: none (pkg-config's python3-embed flags).
*/
#include <Python.h>

int main(int argc, char **argv) {
  return Py_BytesMain(argc, argv);
}
