package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** DJL's resource rules: managers own arrays, closing frees, attach/detach/tempAttach/NDScope move ownership. */
class LifecycleContractTest extends ContractBase {

    @BothEngines
    void closingAManagerReleasesItsArraysAndSubManagers(String engine) {
        NDManager m = manager(engine);
        NDManager sub = m.newSubManager();
        NDArray a = m.create(new float[] {1, 2});
        NDArray b = sub.create(new float[] {3, 4});
        NDArray c = a.add(1);
        assertSame(m, c.getManager(), "results belong to the manager of the array operated on");
        assertSame(m, a.add(b).getManager());
        assertSame(sub, b.add(a).getManager());
        sub.close();
        assertTrue(b.isReleased());
        assertFalse(a.isReleased(), "a sub-manager's close leaves the parent's arrays");
        assertValues(a, new Shape(2), DataType.FLOAT32, 1, 2);
        m.close();
        assertFalse(m.isOpen());
        assertTrue(a.isReleased());
        assertTrue(c.isReleased());
        assertThrows(IllegalStateException.class, () -> a.add(1));
        assertThrows(IllegalStateException.class, () -> m.create(new float[] {1}));
    }

    @BothEngines
    void closingOneArrayAndTheManagedList(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray a = m.create(new float[] {1});
            NDArray b = m.create(new float[] {2});
            assertTrue(m.getManagedArrays().contains(a));
            a.close();
            assertTrue(a.isReleased());
            assertFalse(b.isReleased());
            assertFalse(m.getManagedArrays().stream().anyMatch(x -> x == a));
            assertThrows(IllegalStateException.class, () -> a.mul(2));
        }
    }

    @BothEngines
    void attachDetachAndRet(String engine) {
        NDArray detached;
        NDArray moved;
        try (NDManager outer = manager(engine)) {
            try (NDManager m = outer.newSubManager(); NDManager other = outer.newSubManager()) {
                detached = m.create(new float[] {5, 6});
                detached.detach();
                moved = m.create(new float[] {7});
                moved.attach(other);
                assertSame(other, moved.getManager());
                NDArray kept = m.ret(m.create(new float[] {8}));
                assertSame(outer, kept.getManager());
                m.close();
                assertFalse(detached.isReleased(), "a detached array outlives its former manager");
                assertFalse(moved.isReleased(), "an attached array lives with its new manager");
                assertFalse(kept.isReleased());
                assertValues(detached, new Shape(2), DataType.FLOAT32, 5, 6);
                other.close();
                assertTrue(moved.isReleased());
            }
        }
        assertFalse(detached.isReleased());
        detached.close();
        assertTrue(detached.isReleased());
    }

    @BothEngines
    void tempAttachReturnsTheArray(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray a = m.create(new float[] {1, 2});
            try (NDManager temp = m.newSubManager()) {
                a.tempAttach(temp);
                assertSame(temp, a.getManager());
            }
            assertFalse(a.isReleased(), "back with its original manager");
            assertSame(m, a.getManager());
            assertValues(a, new Shape(2), DataType.FLOAT32, 1, 2);
        }
    }

    @BothEngines
    void ndScopeClosesWhatItCreatedButWhatIsUnregistered(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray x = m.create(new float[] {1, 2, 3});
            NDArray tmp;
            NDArray kept;
            try (NDScope scope = new NDScope()) {
                tmp = x.mul(2);
                kept = tmp.add(1);
                NDScope.unregister(kept);
            }
            assertTrue(tmp.isReleased());
            assertFalse(kept.isReleased());
            assertFalse(x.isReleased(), "made before the scope");
            assertValues(kept, new Shape(3), DataType.FLOAT32, 3, 5, 7);
        }
    }
}
