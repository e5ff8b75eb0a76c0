package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import dev.tangent.Scope;
import dev.tangent.Tangent;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the Tangent engine maps DJL's memory rules onto Tangent's scopes: closing frees at once (no
 * garbage collector involved), views keep their memory, intermediates go when the operation returns,
 * and a close from another thread frees at that thread's next engine call.
 */
class MemoryTest {
    static final long MB = 1 << 20;
    private long base;

    @BeforeEach
    void settle() throws InterruptedException {
        base = ConcurrencyAndLeakTest.settledLiveBytes();
    }

    private long live() {
        return Tangent.liveBytes() - base;
    }

    @Test
    void closingAManagerOrAnArrayFreesAtOnce() {
        NDManager m = NDManager.newBaseManager(Engines.TANGENT);
        NDArray a = m.zeros(new Shape(MB / 4));          // 1 MB of float32
        NDArray b = m.ones(new Shape(MB / 4));
        assertEquals(2 * MB, live());
        a.close();
        assertEquals(MB, live(), "array.close() returns its memory now");
        m.close();
        assertEquals(0, live(), "manager.close() returns the rest now");
        assertTrue(b.isReleased());
    }

    @Test
    void viewsShareMemoryAndKeepItUntilTheLastOneCloses() {
        try (NDManager m = NDManager.newBaseManager(Engines.TANGENT)) {
            NDArray a = m.zeros(new Shape(MB / 4));
            NDArray view = a.reshape(512, 512);
            NDArray row = view.get(3);
            assertEquals(MB, live(), "reshape and get are views: no new memory");
            a.close();
            assertEquals(MB, live(), "the views still use it");
            assertEquals(512, row.toFloatArray().length);
            view.close();
            row.close();
            assertEquals(0, live());
        }
    }

    @Test
    void intermediatesOfAnOperationAreFreedWhenItReturns() {
        try (NDManager m = NDManager.newBaseManager(Engines.TANGENT)) {
            NDArray x = m.randomNormal(new Shape(256, 1024));
            long input = live();
            NDArray y = LayerNorm.layerNorm(x, new Shape(1024), null, null, 1e-5f).singletonOrThrow();
            assertEquals(input + MB, live(), "only the result (1 MB) stays: layer norm's temporaries are gone");
            y.close();
            assertEquals(input, live());
        }
    }

    @Test
    void aCloseFromAnotherThreadFreesAtThatThreadsNextCall() throws Exception {
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try {
            NDManager m = NDManager.newBaseManager(Engines.TANGENT);
            AtomicReference<NDArray> made = new AtomicReference<>();
            worker.submit(() -> made.set(m.ones(new Shape(MB / 4)))).get();
            assertEquals(MB, live());
            m.close();                                   // here, not on the worker that made the memory
            assertTrue(made.get().isReleased(), "unusable at once");
            assertThrows(IllegalStateException.class, () -> made.get().add(1));
            assertEquals(MB, live(), "the worker's scope can only close on the worker");
            worker.submit(() -> {
                try (NDManager other = NDManager.newBaseManager(Engines.TANGENT)) {
                    other.create(1f);                    // any engine call on the worker
                }
            }).get();
            assertEquals(0, live(), "freed at the worker's next engine call");
        } finally {
            worker.shutdown();
        }
    }

    @Test
    void djlRulesWinOverAnEnclosingTangentScope() {
        try (NDManager m = NDManager.newBaseManager(Engines.TANGENT)) {
            NDArray a;
            try (Scope s = Scope.open()) {
                a = m.ones(new Shape(4));
            }
            assertFalse(a.isReleased());
            assertEquals(4f, a.sum().getFloat(), "the array belongs to its manager, not to the Tangent scope");
            assertEquals(DataType.FLOAT32, a.getDataType());
        }
        assertEquals(0, live());
    }
}
