package dev.tangent.backend.cpu.dnnl;

import static dev.tangent.bindings.dnnl.dnnl_h.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.bindings.dnnl.dnnl_exec_arg_t;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** oneDNN loads from the Maven jar, and its bindings run a real primitive. */
class DnnlSmokeTest {

    @TempDir
    Path tmp;

    @Test
    void loadsFromTheJar() {
        assertTrue(DnnlLibrary.isAvailable(), () -> DnnlLibrary.unavailableReason().orElse(""));
        assertEquals(java.util.Optional.empty(), DnnlLibrary.unavailableReason());
        Path lib = DnnlLibrary.libraryPath().orElseThrow();
        assertTrue(lib.isAbsolute());
        assertTrue(DnnlLibrary.version().orElseThrow().startsWith("3."));
    }

    @Test
    void extractsBothLibrariesSideBySideWithTheirNames() throws Exception {
        Path dir = tmp.resolve("cache");
        Path libdnnl = DnnlLibrary.extract(dir);
        assertEquals(dir.resolve("libdnnl.so.3"), libdnnl);
        assertTrue(Files.size(dir.resolve("libgomp.so.1")) > 0);
        long size = Files.size(libdnnl);
        DnnlLibrary.extract(dir); // second time: kept as is
        assertEquals(size, Files.size(libdnnl));
        try (var files = Files.list(dir)) {
            assertEquals(List.of("libdnnl.so.3", "libgomp.so.1"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void concurrentExtractionsNeverLeavePartialFiles() throws Exception {
        Path dir = tmp.resolve("race");
        int n = 4;
        CyclicBarrier start = new CyclicBarrier(n);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Callable<Path> task = () -> {
                    start.await();
                    return DnnlLibrary.extract(dir);
                };
                results.add(pool.submit(task));
            }
            for (Future<Path> f : results) {
                assertEquals(dir.resolve("libdnnl.so.3"), f.get());
            }
        } finally {
            pool.shutdown();
        }
        Path reference = DnnlLibrary.extract(tmp.resolve("reference"));
        assertEquals(Files.size(reference), Files.size(dir.resolve("libdnnl.so.3")));
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary files left behind");
        }
    }

    @Test
    void badOverridePathGivesAClearReason() {
        Path missing = tmp.resolve("nowhere/libdnnl.so.3");
        DnnlLibrary.LoadResult r = DnnlLibrary.loadFrom(missing, "system property tangent.dnnl.library");
        assertFalse(r.ok());
        assertTrue(r.failure().contains(missing.toString()), r.failure());
        assertTrue(r.failure().contains("does not exist"), r.failure());
        assertTrue(r.failure().contains("tangent.dnnl.library"), r.failure());
        assertTrue(r.failure().contains("unset it"), r.failure());
    }

    @Test
    void overridePathThatIsNotOneDnnGivesAClearReason() throws Exception {
        Path gomp = DnnlLibrary.extract(tmp.resolve("gomp")).resolveSibling("libgomp.so.1");
        DnnlLibrary.LoadResult r = DnnlLibrary.loadFrom(gomp, "environment variable TANGENT_DNNL_LIBRARY");
        assertFalse(r.ok());
        assertTrue(r.failure().contains("not oneDNN"), r.failure());
        assertTrue(r.failure().contains("TANGENT_DNNL_LIBRARY"), r.failure());
    }

    @Test
    void failedCallsBecomeExceptionsNamingCallAndStatus() {
        DnnlLibrary.ensureAvailable();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment md = arena.allocate(C_POINTER);
            MemorySegment dims = arena.allocate(ValueLayout.JAVA_LONG, DNNL_MAX_NDIMS() + 1);
            // One dimension more than oneDNN supports.
            DnnlException e = assertThrows(DnnlException.class, () -> Dnnl.check(
                    dnnl_memory_desc_create_with_tag(md, DNNL_MAX_NDIMS() + 1, dims, dnnl_f32(), dnnl_a()),
                    "dnnl_memory_desc_create_with_tag"));
            assertEquals("dnnl_memory_desc_create_with_tag", e.call());
            assertEquals(dnnl_invalid_arguments(), e.status());
            assertEquals("dnnl_invalid_arguments", e.statusName());
            assertEquals("dnnl_memory_desc_create_with_tag failed: dnnl_invalid_arguments (status "
                    + dnnl_invalid_arguments() + ")", e.getMessage());
        }
        assertEquals("dnnl_invalid_arguments", Dnnl.statusName(dnnl_invalid_arguments()));
        assertEquals("dnnl_unimplemented", Dnnl.statusName(dnnl_unimplemented()));
    }

    @Test
    void matmul3x4By4x5MatchesAJavaLoop() {
        DnnlLibrary.ensureAvailable();
        int m = 3, k = 4, n = 5;
        float[] a = new float[m * k];
        float[] b = new float[k * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (i % 7) - 2.5f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = 0.25f * ((i * 3) % 11) - 1f;
        }
        float[] expected = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) {
                    s += a[i * k + p] * b[p * n + j];
                }
                expected[i * n + j] = s;
            }
        }

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(C_POINTER);
            Dnnl.check(dnnl_engine_create(out, dnnl_cpu(), 0), "dnnl_engine_create");
            MemorySegment engine = out.get(C_POINTER, 0);
            Dnnl.check(dnnl_stream_create(out, engine, dnnl_stream_default_flags()), "dnnl_stream_create");
            MemorySegment stream = out.get(C_POINTER, 0);

            MemorySegment aMd = md(arena, m, k);
            MemorySegment bMd = md(arena, k, n);
            MemorySegment cMd = md(arena, m, n);

            // User-managed scratchpad: one buffer per executing thread (see ARCHITECTURE.md).
            Dnnl.check(dnnl_primitive_attr_create(out), "dnnl_primitive_attr_create");
            MemorySegment attr = out.get(C_POINTER, 0);
            Dnnl.check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user()),
                    "dnnl_primitive_attr_set_scratchpad_mode");
            Dnnl.check(dnnl_matmul_primitive_desc_create(out, engine, aMd, bMd, MemorySegment.NULL, cMd, attr),
                    "dnnl_matmul_primitive_desc_create");
            MemorySegment pd = out.get(C_POINTER, 0);
            Dnnl.check(dnnl_primitive_create(out, pd), "dnnl_primitive_create");
            MemorySegment matmul = out.get(C_POINTER, 0);
            MemorySegment scratchMd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md(), 0);
            long scratchBytes = dnnl_memory_desc_get_size(scratchMd);

            MemorySegment aBuf = arena.allocateFrom(ValueLayout.JAVA_FLOAT, a);
            MemorySegment bBuf = arena.allocateFrom(ValueLayout.JAVA_FLOAT, b);
            MemorySegment cBuf = arena.allocate(ValueLayout.JAVA_FLOAT, (long) m * n);
            MemorySegment scratch = arena.allocate(Math.max(scratchBytes, 1), 64);

            MemorySegment aMem = memory(arena, aMd, engine, aBuf);
            MemorySegment bMem = memory(arena, bMd, engine, bBuf);
            MemorySegment cMem = memory(arena, cMd, engine, cBuf);
            MemorySegment sMem = memory(arena, scratchMd, engine, scratch);

            MemorySegment args = dnnl_exec_arg_t.allocateArray(4, arena);
            int[] argIds = {DNNL_ARG_SRC(), DNNL_ARG_WEIGHTS(), DNNL_ARG_DST(), DNNL_ARG_SCRATCHPAD()};
            MemorySegment[] mems = {aMem, bMem, cMem, sMem};
            for (int i = 0; i < 4; i++) {
                MemorySegment arg = dnnl_exec_arg_t.asSlice(args, i);
                dnnl_exec_arg_t.arg(arg, argIds[i]);
                dnnl_exec_arg_t.memory(arg, mems[i]);
            }
            Dnnl.check(dnnl_primitive_execute(matmul, stream, 4, args), "dnnl_primitive_execute");
            Dnnl.check(dnnl_stream_wait(stream), "dnnl_stream_wait");

            assertArrayEquals(expected, cBuf.toArray(ValueLayout.JAVA_FLOAT), 1e-5f);

            for (MemorySegment mem : mems) {
                Dnnl.check(dnnl_memory_destroy(mem), "dnnl_memory_destroy");
            }
            Dnnl.check(dnnl_primitive_destroy(matmul), "dnnl_primitive_destroy");
            Dnnl.check(dnnl_primitive_desc_destroy(pd), "dnnl_primitive_desc_destroy");
            Dnnl.check(dnnl_primitive_attr_destroy(attr), "dnnl_primitive_attr_destroy");
            for (MemorySegment md : new MemorySegment[] {aMd, bMd, cMd}) {
                Dnnl.check(dnnl_memory_desc_destroy(md), "dnnl_memory_desc_destroy");
            }
            Dnnl.check(dnnl_stream_destroy(stream), "dnnl_stream_destroy");
            Dnnl.check(dnnl_engine_destroy(engine), "dnnl_engine_destroy");
        }
    }

    private static MemorySegment md(Arena arena, long rows, long cols) {
        MemorySegment out = arena.allocate(C_POINTER);
        MemorySegment dims = arena.allocateFrom(ValueLayout.JAVA_LONG, rows, cols);
        Dnnl.check(dnnl_memory_desc_create_with_tag(out, 2, dims, dnnl_f32(), dnnl_ab()),
                "dnnl_memory_desc_create_with_tag");
        return out.get(C_POINTER, 0);
    }

    private static MemorySegment memory(Arena arena, MemorySegment md, MemorySegment engine, MemorySegment data) {
        MemorySegment out = arena.allocate(C_POINTER);
        Dnnl.check(dnnl_memory_create(out, md, engine, data), "dnnl_memory_create");
        return out.get(C_POINTER, 0);
    }
}
