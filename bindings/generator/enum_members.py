#!/usr/bin/python3
"""Prints '--include-constant NAME' lines for every member of the named enum typedefs.

Used once to write the include lists (bindings/includes/*.txt); the lists are then edited by hand:
  enum_members.py -I INCDIR header.h -- dnnl_status_t dnnl_data_type_t ...
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jextract_lite as jl  # noqa: E402

argv = sys.argv[1:]
sep = argv.index("--")
opts = jl.parse_args(argv[:sep] + ["--output", "/nonexistent"])
wanted = argv[sep + 1:]
tu = jl.parse(opts)
for c in tu.cursor.get_children():
    if c.kind == jl.CK.TYPEDEF_DECL and c.spelling in wanted:
        decl = c.underlying_typedef_type.get_canonical().get_declaration()
        print("# %s" % c.spelling)
        for e in decl.get_children():
            if e.kind == jl.CK.ENUM_CONSTANT_DECL:
                print("--include-constant %s" % e.spelling)
