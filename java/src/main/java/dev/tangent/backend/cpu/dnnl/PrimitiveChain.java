package dev.tangent.backend.cpu.dnnl;

import static dev.tangent.bindings.dnnl.dnnl_h.*;

import dev.tangent.backend.cpu.dnnl.PrimitiveCache.Entry;
import dev.tangent.backend.cpu.dnnl.PrimitiveCache.PdCreate;
import dev.tangent.backend.cpu.dnnl.PrimitiveCache.Step;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a multi-primitive cache entry: one computing primitive with reorders between the
 * operands' layouts and the layouts it was created with (e.g. oneDNN's blocked formats chosen by
 * {@code format_tag any}), through per-thread temporaries. Everything created is destroyed again
 * when the chain is abandoned (an exception, or oneDNN has no implementation).
 *
 * <pre>{@code
 * return PrimitiveChain.build(arena, engine, c -> {
 *     MemorySegment pd = c.pd("dnnl_..._primitive_desc_create", (out, attr) -> ...);
 *     int src = c.input(0, userSrcMd, c.md(pd, DNNL_ARG_SRC()));
 *     int dst = c.output(1, userDstMd, c.md(pd, DNNL_ARG_DST()));
 *     c.step(pd, new int[] {DNNL_ARG_SRC(), DNNL_ARG_DST()}, new int[] {src, dst});
 * });
 * }</pre>
 */
final class PrimitiveChain {
    /** oneDNN has no implementation for a part of the chain: the Java kernel runs instead. */
    static final class Unimplemented extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unimplemented() {
            super(null, null, false, false);
        }
    }

    @FunctionalInterface
    interface Body {
        void define(PrimitiveChain chain);
    }

    private final Arena arena;
    private final MemorySegment engine;
    private final MemorySegment attr;
    private final List<Step> steps = new ArrayList<>();
    private final List<MemorySegment> looseMds = new ArrayList<>();
    private final List<MemorySegment> loosePds = new ArrayList<>();
    private final List<Long> tempSizes = new ArrayList<>();
    private final List<int[]> pendingOut = new ArrayList<>(); // {temp slot, operand slot}
    private final List<MemorySegment[]> pendingOutMds = new ArrayList<>();

    private PrimitiveChain(Arena arena, MemorySegment engine, MemorySegment attr) {
        this.arena = arena;
        this.engine = engine;
        this.attr = attr;
    }

    /** Runs {@code body} and returns its entry; UNIMPLEMENTED when some part has no oneDNN implementation. */
    static Entry build(Arena arena, MemorySegment engine, Body body) {
        PrimitiveChain c = new PrimitiveChain(arena, engine, PrimitiveCache.newAttr(arena));
        boolean done = false;
        try {
            body.define(c);
            c.finishOutputs();
            Entry e = c.entry();
            done = true;
            return e;
        } catch (Unimplemented u) {
            return Entry.UNIMPLEMENTED;
        } finally {
            dnnl_primitive_attr_destroy(c.attr);
            if (!done) {
                c.abandon();
            }
        }
    }

    Arena arena() {
        return arena;
    }

    MemorySegment engine() {
        return engine;
    }

    /** Takes ownership of a memory descriptor: destroyed with the entry. */
    MemorySegment own(MemorySegment md) {
        looseMds.add(md);
        return md;
    }

    /**
     * A primitive descriptor from {@code f} (given this chain's attribute: user scratchpad); throws
     * {@link Unimplemented} when oneDNN has none. The chain destroys it unless a step takes it.
     */
    MemorySegment pd(String call, PdCreate f) {
        MemorySegment out = arena.allocate(C_POINTER);
        int st = f.create(out, attr);
        if (st == dnnl_unimplemented()) {
            throw new Unimplemented();
        }
        Dnnl.check(st, call);
        MemorySegment pd = out.get(C_POINTER, 0);
        loosePds.add(pd);
        return pd;
    }

    /** The memory descriptor a primitive descriptor has for an execution argument (owned by the pd). */
    static MemorySegment md(MemorySegment pd, int argId) {
        return dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md(), argId);
    }

    /** A temporary of {@code md}'s size; returns its slot (negative). */
    int temp(MemorySegment md) {
        tempSizes.add(dnnl_memory_desc_get_size(md));
        return ~(tempSizes.size() - 1);
    }

    /** Operand {@code slot} (laid out as {@code user}) as a primitive wants it ({@code want}): the slot itself, or a reordered temporary. */
    int input(int slot, MemorySegment user, MemorySegment want) {
        if (dnnl_memory_desc_equal(user, want) != 0) {
            return slot;
        }
        int t = temp(want);
        reorder(user, want, slot, t);
        return t;
    }

    /**
     * Where a primitive that produces {@code have} should write operand {@code slot} (laid out as
     * {@code user}): the slot itself, or a temporary reordered into it after the primitive.
     */
    int output(int slot, MemorySegment user, MemorySegment have) {
        if (dnnl_memory_desc_equal(user, have) != 0) {
            return slot;
        }
        int t = temp(have);
        pendingOut.add(new int[] {t, slot});
        pendingOutMds.add(new MemorySegment[] {have, user});
        return t;
    }

    /** Appends a primitive of {@code pd}; argument i is {@code argIds[i]} at {@code slots[i]}, described as the pd says. */
    void step(MemorySegment pd, int[] argIds, int[] slots) {
        if (argIds.length + 1 > PrimitiveCache.MAX_ARGS + 1) {
            throw new IllegalArgumentException("too many arguments: " + argIds.length);
        }
        MemorySegment[] mds = new MemorySegment[argIds.length];
        for (int i = 0; i < mds.length; i++) {
            mds[i] = md(pd, argIds[i]);
            if (mds[i].equals(MemorySegment.NULL)) {
                throw new IllegalStateException("primitive has no memory descriptor for argument " + argIds[i]);
            }
        }
        MemorySegment out = arena.allocate(C_POINTER);
        Dnnl.check(dnnl_primitive_create(out, pd), "dnnl_primitive_create");
        loosePds.remove(pd);
        steps.add(new Step(out.get(C_POINTER, 0), pd, argIds, slots, mds, PrimitiveCache.scratchMd(pd)));
    }

    private void reorder(MemorySegment from, MemorySegment to, int fromSlot, int toSlot) {
        MemorySegment pd = pd("dnnl_reorder_primitive_desc_create", (out, a) ->
                dnnl_reorder_primitive_desc_create(out, from, engine, to, engine, a));
        step(pd, new int[] {DNNL_ARG_FROM(), DNNL_ARG_TO()}, new int[] {fromSlot, toSlot});
    }

    private void finishOutputs() {
        for (int i = 0; i < pendingOut.size(); i++) {
            int[] s = pendingOut.get(i);
            MemorySegment[] m = pendingOutMds.get(i);
            reorder(m[0], m[1], s[0], s[1]);
        }
        pendingOut.clear();
    }

    private Entry entry() {
        for (MemorySegment pd : loosePds) {
            dnnl_primitive_desc_destroy(pd);
        }
        loosePds.clear();
        long[] offsets = new long[tempSizes.size()];
        long total = 0;
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = total;
            total += (tempSizes.get(i) + 63) & -64L;
        }
        long scratch = 0;
        for (Step s : steps) {
            if (!s.scratchMd().equals(MemorySegment.NULL)) {
                scratch = Math.max(scratch, dnnl_memory_desc_get_size(s.scratchMd()));
            }
        }
        return new Entry(steps.toArray(new Step[0]), offsets, total, scratch, looseMds.toArray(new MemorySegment[0]));
    }

    private void abandon() {
        PrimitiveCache.destroyParts(steps.toArray(new Step[0]), looseMds.toArray(new MemorySegment[0]));
        for (MemorySegment pd : loosePds) {
            dnnl_primitive_desc_destroy(pd);
        }
    }
}
