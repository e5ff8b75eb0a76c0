package dev.tangent.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tangent.backend.ThreadBudget;
import dev.tangent.backend.ThreadPlacement;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend with native kernels installs the native wake-up placement into ThreadBudget
 * (the default), and by default a waiter's policy is left alone ({@code tangent.budget.batch_wait}
 * off).
 */
class PlacementInstallTest {

    @Test
    void aNativeCpuBackendInstallsThePlacement() {
        assumeTrue(NativeKernels.enabled(), "native CPU kernels not loaded");
        assumeTrue(NativeThreadPlacement.ENABLED, "placement switched off for this run");
        new CpuBackend(null, true);
        ThreadPlacement p = ThreadBudget.placement();
        assertSame(NativeThreadPlacement.class, p.getClass());
        assertFalse(NativeThreadPlacement.BATCH_WAIT, "SCHED_BATCH waits are opt-in");
        assertFalse(p.enterWait(), "by default a waiter keeps its policy");
        assertEquals(5, ThreadBudget.slotStats().length, "placed wake-ups are counted");
    }
}
