#!/usr/bin/python3
"""jextract_lite: emit jextract-shaped Panama bindings for the symbols an include list names.

Reads C headers through libclang (Debian: python3-clang-14) and writes Java sources in the
shape jextract 22 generates: one header class holding the C layouts (C_INT, C_POINTER, ...),
one lazily linked holder class per function (DESC, ADDR, HANDLE) with a static wrapper of the
C name, constants as static methods, typedefs as layout fields, and one class per struct.

The command line is a subset of jextract's, so the same include lists drive both tools:

  jextract_lite.py --output DIR --target-package PKG --header-class-name NAME \
      -I INCDIR [-D MACRO[=VALUE]] [--library NAME|:PATH [--use-system-load-library]] \
      @includes.txt header.h [header.h ...]

Without --library the symbols resolve through SymbolLookup.loaderLookup() (System.load first);
with it, the header class opens the library itself as jextract does (see symbol_lookup).

  jextract_lite.py --dump-includes FILE -I INCDIR header.h     (lists every symbol, like jextract)

It fails loudly on anything it cannot translate faithfully (variadic functions, structs passed
by value, symbols named in the list but absent from the headers) instead of guessing.
"""
import os
import re
import sys

import clang.cindex as ci

TK = ci.TypeKind
CK = ci.CursorKind

JAVA_KEYWORDS = set("""abstract assert boolean break byte case catch char class const continue default
do double else enum extends final finally float for goto if implements import instanceof int interface
long native new package private protected public return short static strictfp super switch
synchronized this throw throws transient try void volatile while true false null var record yield
sealed permits""".split())

INCLUDE_KINDS = ("function", "constant", "struct", "union", "typedef", "var")

# C type kind -> (header-class layout name, Java carrier type, ValueLayout class)
PRIMITIVES = {
    TK.BOOL: ("C_BOOL", "boolean", "OfBoolean"),
    TK.CHAR_S: ("C_CHAR", "byte", "OfByte"), TK.SCHAR: ("C_CHAR", "byte", "OfByte"),
    TK.CHAR_U: ("C_CHAR", "byte", "OfByte"), TK.UCHAR: ("C_CHAR", "byte", "OfByte"),
    TK.SHORT: ("C_SHORT", "short", "OfShort"), TK.USHORT: ("C_SHORT", "short", "OfShort"),
    TK.INT: ("C_INT", "int", "OfInt"), TK.UINT: ("C_INT", "int", "OfInt"),
    TK.LONG: ("C_LONG", "long", "OfLong"), TK.ULONG: ("C_LONG", "long", "OfLong"),
    TK.LONGLONG: ("C_LONG_LONG", "long", "OfLong"), TK.ULONGLONG: ("C_LONG_LONG", "long", "OfLong"),
    TK.FLOAT: ("C_FLOAT", "float", "OfFloat"), TK.DOUBLE: ("C_DOUBLE", "double", "OfDouble"),
}
POINTERISH = (TK.POINTER, TK.CONSTANTARRAY, TK.INCOMPLETEARRAY, TK.VARIABLEARRAY, TK.DEPENDENTSIZEDARRAY)


class GenError(Exception):
    pass


def die(msg):
    sys.stderr.write("jextract_lite: error: " + msg + "\n")
    sys.exit(1)


# ---------------------------------------------------------------- command line

def expand_argfiles(argv):
    out = []
    for a in argv:
        if a.startswith("@"):
            with open(a[1:], encoding="utf-8") as f:
                for line in f:
                    line = line.split("#", 1)[0].strip()
                    if line:
                        out.extend(line.split())
        else:
            out.append(a)
    return out


def parse_args(argv):
    opts = {"output": None, "package": "", "header_class": None, "I": [], "D": [], "libraries": [],
            "system_load": False,
            "dump": None, "headers": [], "includes": {k: [] for k in INCLUDE_KINDS}}
    args = expand_argfiles(argv)
    i = 0
    while i < len(args):
        a = args[i]

        def val():
            nonlocal i
            i += 1
            if i >= len(args):
                die("option %s needs a value" % a)
            return args[i]
        if a in ("--output", "-d"):
            opts["output"] = val()
        elif a in ("--target-package", "-t"):
            opts["package"] = val()
        elif a == "--header-class-name":
            opts["header_class"] = val()
        elif a == "-I" or a == "--include-dir":
            opts["I"].append(val())
        elif a.startswith("-I") and len(a) > 2:
            opts["I"].append(a[2:])
        elif a == "-D" or a == "--define-macro":
            opts["D"].append(val())
        elif a.startswith("-D") and len(a) > 2:
            opts["D"].append(a[2:])
        elif a == "--dump-includes":
            opts["dump"] = val()
        elif a.startswith("--include-"):
            kind = a[len("--include-"):]
            if kind not in INCLUDE_KINDS:
                die("unknown option " + a)
            opts["includes"][kind].append(val())
        elif a in ("-l", "--library"):
            opts["libraries"].append(val())
        elif a == "--use-system-load-library":
            opts["system_load"] = True
        elif a.startswith("-"):
            die("unknown option " + a)
        else:
            opts["headers"].append(a)
        i += 1
    if not opts["headers"]:
        die("no header files given")
    if opts["dump"] is None and opts["output"] is None:
        die("--output is required")
    if opts["header_class"] is None:
        base = os.path.basename(opts["headers"][0])
        opts["header_class"] = re.sub(r"[^A-Za-z0-9_]", "_", base)
    return opts


# ---------------------------------------------------------------- parsing

MACRO_PREFIX = "__jextract_lite_macro_"


def parse(opts, macros=()):
    """Parses the headers (plus probes for the named macros) and returns the translation unit."""
    src = "".join('#include "%s"\n' % os.path.abspath(h) for h in opts["headers"])
    for m in macros:
        # __auto_type gives the macro's C type; the enum gives its integer value.
        src += "__auto_type %s%s = (%s);\n" % (MACRO_PREFIX, m, m)
        src += "enum { %se_%s = (long long)(%s) };\n" % (MACRO_PREFIX, m, m)
    clang_args = ["-x", "c", "-std=gnu11"] + ["-I" + d for d in opts["I"]] + ["-D" + d for d in opts["D"]]
    index = ci.Index.create()
    tu = index.parse("__jextract_lite__.c", args=clang_args, unsaved_files=[("__jextract_lite__.c", src)],
                     options=ci.TranslationUnit.PARSE_DETAILED_PROCESSING_RECORD)
    errors = [d for d in tu.diagnostics if d.severity >= ci.Diagnostic.Error]
    if errors:
        die("libclang could not parse the headers:\n  " + "\n  ".join(str(d) for d in errors[:20]))
    return tu


def collect(tu):
    """Indexes the declarations of the translation unit by C name (first declaration wins)."""
    syms = {"function": {}, "constant": {}, "struct": {}, "typedef": {}, "macro": {}}
    for c in tu.cursor.get_children():
        if c.location.file is None and c.kind != CK.MACRO_DEFINITION:
            continue
        if c.kind == CK.FUNCTION_DECL:
            syms["function"].setdefault(c.spelling, c)
        elif c.kind == CK.ENUM_DECL:
            for e in c.get_children():
                if e.kind == CK.ENUM_CONSTANT_DECL:
                    syms["constant"].setdefault(e.spelling, e)
        elif c.kind == CK.STRUCT_DECL and c.is_definition() and c.spelling and not c.spelling.startswith("struct ("):
            syms["struct"].setdefault(c.spelling, c)
        elif c.kind == CK.TYPEDEF_DECL:
            syms["typedef"].setdefault(c.spelling, c)
            under = c.underlying_typedef_type.get_canonical()
            if under.kind == TK.RECORD:
                decl = under.get_declaration()
                if decl.is_definition() and decl.kind == CK.STRUCT_DECL:
                    # typedef struct { ... } name;  -> the struct is known by the typedef's name
                    syms["struct"].setdefault(c.spelling, decl)
            for e in c.get_children():  # typedef enum { ... } name;
                if e.kind == CK.ENUM_DECL:
                    for k in e.get_children():
                        if k.kind == CK.ENUM_CONSTANT_DECL:
                            syms["constant"].setdefault(k.spelling, k)
        elif c.kind == CK.MACRO_DEFINITION:
            if c.location.file is not None:
                syms["macro"].setdefault(c.spelling, c)
    return syms


# ---------------------------------------------------------------- type mapping

class Ctx:
    def __init__(self, header_class):
        self.h = header_class


def layout_of(t, ctx, where, for_param=False):
    """Returns (layout expression, Java carrier type, ValueLayout class or None) for a C type."""
    c = t.get_canonical()
    if c.kind in PRIMITIVES:
        name, carrier, cls = PRIMITIVES[c.kind]
        return "%s.%s" % (ctx.h, name), carrier, cls
    if c.kind == TK.ENUM:
        return layout_of(c.get_declaration().enum_type, ctx, where)
    if c.kind == TK.POINTER or (for_param and c.kind in POINTERISH):
        return "%s.C_POINTER" % ctx.h, "MemorySegment", "AddressLayout"
    if c.kind == TK.CONSTANTARRAY:
        elem, _, _ = layout_of(c.element_type, ctx, where)
        return "MemoryLayout.sequenceLayout(%d, %s)" % (c.element_count, elem), "MemorySegment", None
    raise GenError("%s: type '%s' (%s) is not supported by this generator" % (where, t.spelling, c.kind))


def java_name(n, i):
    if not n:
        return "x%d" % i
    return n + "$" if n in JAVA_KEYWORDS else n


def c_decl(type_spelling, name):
    return type_spelling + ("" if type_spelling.endswith("*") else " ") + name


def snippet(text, indent="    "):
    lines = [indent + "/**", indent + " * {@snippet lang=c :"]
    for line in text.split("\n"):
        lines.append(indent + " * " + line.replace("*/", "*\\/").replace("@", "{@literal @}"))
    lines += [indent + " * }", indent + " */"]
    return "\n".join(lines)


# ---------------------------------------------------------------- emitters

def emit_function(c, ctx):
    name = c.spelling
    if c.type.kind == TK.FUNCTIONPROTO and c.type.is_function_variadic():
        raise GenError("function %s is variadic: not supported" % name)
    params = list(c.get_arguments())
    ret = c.result_type
    descs, sig, call, names = [], [], [], []
    for i, p in enumerate(params):
        if p.type.get_canonical().kind == TK.RECORD:
            raise GenError("function %s takes a struct by value: not supported" % name)
        lay, carrier, _ = layout_of(p.type, ctx, name, for_param=True)
        jn = java_name(p.spelling, i)
        descs.append(lay)
        sig.append("%s %s" % (carrier, jn))
        names.append(jn)
    if ret.get_canonical().kind == TK.VOID:
        rcarrier = "void"
        desc = "FunctionDescriptor.ofVoid(" + ("\n            " + ",\n            ".join(descs) + "\n        " if descs else "") + ")"
    else:
        if ret.get_canonical().kind == TK.RECORD:
            raise GenError("function %s returns a struct by value: not supported" % name)
        rlay, rcarrier, _ = layout_of(ret, ctx, name)
        desc = "FunctionDescriptor.of(\n            " + ",\n            ".join([rlay] + descs) + "\n        )"
    proto = "%s(%s)" % (c_decl(ret.spelling, name),
                        ", ".join(c_decl(p.type.spelling, p.spelling) if p.spelling else p.type.spelling
                                  for p in params))
    invoke = "mh$.invokeExact(%s)" % ", ".join(names)
    body = invoke + ";" if rcarrier == "void" else "return (%s)%s;" % (rcarrier, invoke)
    trace_args = "".join(", " + n for n in names)
    return """
    private static class {n} {{
        public static final FunctionDescriptor DESC = {desc};

        public static final MemorySegment ADDR = {h}.findOrThrow("{n}");

        public static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }}

    /**
     * Function descriptor for:
     * {{@snippet lang=c :
     * {proto}
     * }}
     */
    public static FunctionDescriptor {n}$descriptor() {{
        return {n}.DESC;
    }}

    /**
     * Downcall method handle for:
     * {{@snippet lang=c :
     * {proto}
     * }}
     */
    public static MethodHandle {n}$handle() {{
        return {n}.HANDLE;
    }}

    /**
     * Address for:
     * {{@snippet lang=c :
     * {proto}
     * }}
     */
    public static MemorySegment {n}$address() {{
        return {n}.ADDR;
    }}

{doc}
    public static {r} {n}({sig}) {{
        var mh$ = {n}.HANDLE;
        try {{
            if (TRACE_DOWNCALLS) {{
                traceDowncall("{n}"{targs});
            }}
            {body}
        }} catch (Error | RuntimeException ex) {{
           throw ex;
        }} catch (Throwable ex$) {{
           throw new AssertionError("should not reach here", ex$);
        }}
    }}
""".format(n=name, desc=desc, h=ctx.h, proto=proto, doc=snippet(proto), r=rcarrier, sig=", ".join(sig),
           targs=trace_args, body=body)


def emit_constant(name, carrier, value, c_text):
    lit = "%dL" % value
    if value == -(1 << 63):
        lit = "-9223372036854775808L"
    return """
    private static final {t} {n} = {cast}{lit};
{doc}
    public static {t} {n}() {{
        return {n};
    }}
""".format(t=carrier, n=name, lit=lit, doc=snippet(c_text), cast="" if carrier == "long" else "(%s)" % carrier)


def enum_constant(c, ctx):
    parent = c.semantic_parent
    under = parent.enum_type.get_canonical()
    _, carrier, _ = layout_of(under, ctx, c.spelling)
    value = c.enum_value
    if carrier == "int":
        value = ((value + (1 << 31)) % (1 << 32)) - (1 << 31)  # unsigned enums keep their bits
    owner = parent.spelling if parent.spelling and "(" not in parent.spelling else "<anonymous>"
    return emit_constant(c.spelling, carrier, value, "enum %s.%s = %d" % (owner, c.spelling, c.enum_value))


def macro_constant(name, probe_var, probe_enum, ctx, c_text):
    t = probe_var.type.get_canonical()
    if t.kind not in PRIMITIVES or PRIMITIVES[t.kind][1] in ("float", "double", "boolean"):
        raise GenError("macro %s has type %s: only integer macros are supported" % (name, probe_var.type.spelling))
    _, carrier, _ = PRIMITIVES[t.kind]
    if carrier in ("byte", "short"):
        carrier = "int"
    value = probe_enum.enum_value
    if carrier == "int":
        value = ((value + (1 << 31)) % (1 << 32)) - (1 << 31)
    else:
        value = ((value + (1 << 63)) % (1 << 64)) - (1 << 63)
    return emit_constant(name, carrier, value, c_text)


def emit_typedef(c, ctx):
    under = c.underlying_typedef_type
    lay, carrier, cls = layout_of(under, ctx, c.spelling)
    if cls is None:
        raise GenError("typedef %s is not a scalar or pointer: include it with --include-struct" % c.spelling)
    full = "ValueLayout." + cls if cls != "AddressLayout" else "AddressLayout"
    return """
{doc}
    public static final {cls} {n} = {lay};
""".format(doc=snippet("typedef %s" % c_decl(under.spelling, c.spelling)), cls=full, n=c.spelling, lay=lay)


def emit_struct(name, decl, ctx, package):
    fields = [f for f in decl.get_children() if f.kind == CK.FIELD_DECL]
    size = decl.type.get_size()
    members, accessors, c_fields = [], [], []
    pos = 0
    for f in fields:
        if f.is_bitfield():
            raise GenError("struct %s: bit field %s not supported" % (name, f.spelling))
        off = f.get_field_offsetof() // 8
        if off > pos:
            members.append("MemoryLayout.paddingLayout(%d)" % (off - pos))
        lay, carrier, cls = layout_of(f.type, ctx, "%s.%s" % (name, f.spelling))
        members.append("%s.withName(\"%s\")" % (lay, f.spelling))
        pos = off + f.type.get_size()
        fn = java_name(f.spelling, 0)
        c_fields.append("    %s;" % c_decl(f.type.spelling, f.spelling))
        doc = snippet(c_decl(f.type.spelling, f.spelling))
        if cls is not None:
            full = "ValueLayout." + cls if cls != "AddressLayout" else "AddressLayout"
            accessors.append("""
    private static final {cls} {fn}$LAYOUT = ({cls})$LAYOUT.select(groupElement("{cn}"));

    /**
     * Layout for field {cn}.
     */
    public static final {cls} {fn}$layout() {{
        return {fn}$LAYOUT;
    }}

    private static final long {fn}$OFFSET = {off};

    /**
     * Offset for field {cn}.
     */
    public static final long {fn}$offset() {{
        return {fn}$OFFSET;
    }}

{doc}
    public static {t} {fn}(MemorySegment struct) {{
        return struct.get({fn}$LAYOUT, {fn}$OFFSET);
    }}

{doc}
    public static void {fn}(MemorySegment struct, {t} fieldValue) {{
        struct.set({fn}$LAYOUT, {fn}$OFFSET, fieldValue);
    }}
""".format(cls=full, fn=fn, cn=f.spelling, off=off, doc=doc, t=carrier))
        else:
            accessors.append("""
    private static final SequenceLayout {fn}$LAYOUT = (SequenceLayout)$LAYOUT.select(groupElement("{cn}"));

    /**
     * Layout for field {cn}.
     */
    public static final SequenceLayout {fn}$layout() {{
        return {fn}$LAYOUT;
    }}

    private static final long {fn}$OFFSET = {off};

    /**
     * Offset for field {cn}.
     */
    public static final long {fn}$offset() {{
        return {fn}$OFFSET;
    }}

{doc}
    public static MemorySegment {fn}(MemorySegment struct) {{
        return struct.asSlice({fn}$OFFSET, {fn}$LAYOUT.byteSize());
    }}
""".format(fn=fn, cn=f.spelling, off=off, doc=doc))
    if size > pos:
        members.append("MemoryLayout.paddingLayout(%d)" % (size - pos))
    c_text = "struct {\n" + "\n".join(c_fields) + "\n}"
    return HEADER_PREAMBLE.format(package=package) + """
{doc}
public class {n} {{

    {n}() {{
        // Should not be called directly
    }}

    private static final GroupLayout $LAYOUT = MemoryLayout.structLayout(
        {members}
    ).withName("{n}");

    /**
     * The layout of this struct
     */
    public static final GroupLayout layout() {{
        return $LAYOUT;
    }}
{accessors}
    /**
     * Obtains a slice of {{@code arrayParam}} which selects the array element at {{@code index}}.
     * The returned segment has address {{@code arrayParam.address() + index * layout().byteSize()}}
     */
    public static MemorySegment asSlice(MemorySegment array, long index) {{
        return array.asSlice(layout().byteSize() * index);
    }}

    /**
     * The size (in bytes) of this struct
     */
    public static long sizeof() {{ return layout().byteSize(); }}

    /**
     * Allocate a segment of size {{@code layout().byteSize()}} using {{@code allocator}}
     */
    public static MemorySegment allocate(SegmentAllocator allocator) {{
        return allocator.allocate(layout());
    }}

    /**
     * Allocate an array of size {{@code elementCount}} using {{@code allocator}}.
     * The returned segment has size {{@code elementCount * layout().byteSize()}}.
     */
    public static MemorySegment allocateArray(long elementCount, SegmentAllocator allocator) {{
        return allocator.allocate(MemoryLayout.sequenceLayout(elementCount, layout()));
    }}

    /**
     * Reinterprets {{@code addr}} using target {{@code arena}} and {{@code cleanupAction}} (if any).
     * The returned segment has size {{@code layout().byteSize()}}
     */
    public static MemorySegment reinterpret(MemorySegment addr, Arena arena, Consumer<MemorySegment> cleanup) {{
        return reinterpret(addr, 1, arena, cleanup);
    }}

    /**
     * Reinterprets {{@code addr}} using target {{@code arena}} and {{@code cleanupAction}} (if any).
     * The returned segment has size {{@code elementCount * layout().byteSize()}}
     */
    public static MemorySegment reinterpret(MemorySegment addr, long elementCount, Arena arena, Consumer<MemorySegment> cleanup) {{
        return addr.reinterpret(layout().byteSize() * elementCount, arena, cleanup);
    }}
}}
""".format(doc=snippet("typedef " + c_text + " " + name, indent=""), n=name,
           members=",\n        ".join(members), accessors="".join(accessors))


HEADER_PREAMBLE = """// Generated by jextract_lite (bindings/generator) from C headers; do not edit.

package {package};

import java.lang.invoke.*;
import java.lang.foreign.*;
import java.nio.ByteOrder;
import java.util.*;
import java.util.function.*;
import java.util.stream.*;

import static java.lang.foreign.ValueLayout.*;
import static java.lang.foreign.MemoryLayout.PathElement.*;
"""

HEADER_CLASS = """
/**
 * Bindings for {headers}, limited to the symbols of an include list.
 */
public class {h} {{

    {h}() {{
        // Should not be called directly
    }}

    static final Arena LIBRARY_ARENA = Arena.ofAuto();
    static final boolean TRACE_DOWNCALLS = Boolean.getBoolean("jextract.trace.downcalls");

    static void traceDowncall(String name, Object... args) {{
         String traceArgs = Arrays.stream(args)
                       .map(Object::toString)
                       .collect(Collectors.joining(", "));
         System.out.printf("%s(%s)\\n", name, traceArgs);
    }}

    static MemorySegment findOrThrow(String symbol) {{
        return SYMBOL_LOOKUP.find(symbol)
            .orElseThrow(() -> new UnsatisfiedLinkError("unresolved symbol: " + symbol{hint}));
    }}

{lookup}
    public static final ValueLayout.OfBoolean C_BOOL = ValueLayout.JAVA_BOOLEAN;
    public static final ValueLayout.OfByte C_CHAR = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfShort C_SHORT = ValueLayout.JAVA_SHORT;
    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfLong C_LONG_LONG = ValueLayout.JAVA_LONG;
    public static final ValueLayout.OfFloat C_FLOAT = ValueLayout.JAVA_FLOAT;
    public static final ValueLayout.OfDouble C_DOUBLE = ValueLayout.JAVA_DOUBLE;
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS
            .withTargetLayout(MemoryLayout.sequenceLayout(java.lang.Long.MAX_VALUE, JAVA_BYTE));
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
{body}}}
"""


def macro_text(c):
    toks = [t.spelling for t in c.get_tokens()]
    return "#define " + toks[0] + " " + " ".join(toks[1:]) if toks else "#define " + c.spelling


def symbol_lookup(opts):
    """The header class's SYMBOL_LOOKUP, as jextract emits it for its -l / --library options.

    Without -l: the loader's lookup (libraries loaded with System.load). With -l NAME (and no
    --use-system-load-library): SymbolLookup.libraryLookup(System.mapLibraryName(NAME)), i.e.
    dlopen("libNAME.so"), which finds a library already loaded by absolute path whose SONAME is
    libNAME.so; -l :PATH opens PATH. --use-system-load-library loads them with System.load(Library)
    instead and keeps the loader's lookup."""
    libs = opts["libraries"]
    loader = ("SymbolLookup.loaderLookup()\n"
              "            .or(Linker.nativeLinker().defaultLookup());\n")
    if not libs:
        return "    static final SymbolLookup SYMBOL_LOOKUP = " + loader
    if opts["system_load"]:
        loads = "".join('        System.%s("%s");\n' % ("load", l[1:]) if l.startswith(":")
                        else '        System.%s("%s");\n' % ("loadLibrary", l) for l in libs)
        return "    static {\n" + loads + "    }\n\n    static final SymbolLookup SYMBOL_LOOKUP = " + loader
    lookups = ['SymbolLookup.libraryLookup("%s", LIBRARY_ARENA)' % l[1:] if l.startswith(":")
               else 'SymbolLookup.libraryLookup(System.mapLibraryName("%s"), LIBRARY_ARENA)' % l for l in libs]
    chain = lookups[0] + "".join("\n            .or(%s)" % x for x in lookups[1:])
    return ("    static final SymbolLookup SYMBOL_LOOKUP = " + chain + "\n"
            "            .or(SymbolLookup.loaderLookup())\n"
            "            .or(Linker.nativeLinker().defaultLookup());\n")


def lookup_hint(opts):
    if opts["libraries"] and not opts["system_load"]:
        return ""
    return ("\n                + \" (load the library that defines it with System.load before the first call)\"")


def generate(opts):
    inc = opts["includes"]
    tu = parse(opts)
    syms = collect(tu)
    # Names that are not enum constants must be macros: probe them in a second parse.
    macro_names = [n for n in inc["constant"] if n not in syms["constant"]]
    missing = [n for n in macro_names if n not in syms["macro"]]
    for kind, table in (("function", "function"), ("struct", "struct"), ("typedef", "typedef")):
        missing += [n for n in inc[kind] if n not in syms[table]]
    if inc["union"] or inc["var"]:
        die("--include-union / --include-var are not supported by this generator")
    if missing:
        die("symbols named in the include list are not in the headers: " + ", ".join(sorted(missing)))
    probes = {}
    if macro_names:
        tu2 = parse(opts, macro_names)
        for c in tu2.cursor.get_children():
            if c.kind == CK.VAR_DECL and c.spelling.startswith(MACRO_PREFIX):
                probes.setdefault(c.spelling[len(MACRO_PREFIX):], {})["var"] = c
            elif c.kind == CK.ENUM_DECL:
                for e in c.get_children():
                    if e.spelling.startswith(MACRO_PREFIX + "e_"):
                        probes.setdefault(e.spelling[len(MACRO_PREFIX) + 2:], {})["enum"] = e

    ctx = Ctx(opts["header_class"])
    pkg = opts["package"]
    parts = []
    try:
        for n in inc["typedef"]:
            parts.append(emit_typedef(syms["typedef"][n], ctx))
        for n in inc["constant"]:
            if n in syms["constant"]:
                parts.append(enum_constant(syms["constant"][n], ctx))
            else:
                p = probes[n]
                parts.append(macro_constant(n, p["var"], p["enum"], ctx, macro_text(syms["macro"][n])))
        for n in inc["function"]:
            parts.append(emit_function(syms["function"][n], ctx))
        structs = {n: emit_struct(n, syms["struct"][n], ctx, pkg) for n in inc["struct"]}
    except GenError as e:
        die(str(e))

    outdir = os.path.join(opts["output"], *pkg.split(".")) if pkg else opts["output"]
    os.makedirs(outdir, exist_ok=True)
    headers = ", ".join("{@code %s}" % os.path.basename(h) for h in opts["headers"])
    with open(os.path.join(outdir, ctx.h + ".java"), "w", encoding="utf-8") as f:
        f.write(HEADER_PREAMBLE.format(package=pkg) + HEADER_CLASS.format(h=ctx.h, headers=headers,
                                                                           body="".join(parts),
                                                                           lookup=symbol_lookup(opts),
                                                                           hint=lookup_hint(opts)))
    for n, text in structs.items():
        with open(os.path.join(outdir, n + ".java"), "w", encoding="utf-8") as f:
            f.write(text)


def dump_includes(opts):
    """Writes every symbol the headers declare (outside system headers), jextract's --dump-includes."""
    tu = parse(opts)
    syms = collect(tu)
    roots = [os.path.abspath(d) + os.sep for d in opts["I"]] + \
        [os.path.dirname(os.path.abspath(h)) + os.sep for h in opts["headers"]]

    def rel(c):
        p = os.path.abspath(c.location.file.name)
        for r in roots:
            if p.startswith(r):
                return p[len(r):]
        return None
    lines = []
    for kind, table in (("function", "function"), ("constant", "constant"), ("constant", "macro"),
                        ("struct", "struct"), ("typedef", "typedef")):
        for n, c in syms[table].items():
            where = rel(c)
            if where is None or n.startswith("_"):
                continue
            if table == "macro" and (c.is_macro_function_like() if hasattr(c, "is_macro_function_like") else False):
                continue
            lines.append("--include-%-9s %-60s # header: %s" % (kind, n, where))
    with open(opts["dump"], "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main(argv):
    opts = parse_args(argv)
    if opts["dump"]:
        dump_includes(opts)
    else:
        generate(opts)


if __name__ == "__main__":
    main(sys.argv[1:])
