package dev.tangent.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.ops.Prim;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The Java side of the CUDA kernels' ABI, checked without a GPU: op codes against the native
 * header's enums (both ways), and the fatbin's ABI version tag.
 */
class CudaAbiTest {
    private static final Path NATIVE = Path.of("../native");

    private static Map<String, Integer> enumValues(String prefix) throws Exception {
        String src = Files.readString(NATIVE.resolve("tg_ops.cuh"));
        Map<String, Integer> r = new HashMap<>();
        Matcher m = Pattern.compile("\\b" + prefix + "([A-Z0-9_]+)\\s*=\\s*(\\d+)").matcher(src);
        while (m.find()) {
            r.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        assertTrue(!r.isEmpty(), "no " + prefix + "* codes found in tg_ops.cuh");
        return r;
    }

    @Test
    void opCodesEqualTheNativeHeaderBothWays() throws Exception {
        Map<String, Integer> u = enumValues("U_");
        Map<String, Integer> b = enumValues("B_");
        Map<String, Integer> c = enumValues("C_");
        int unary = 0;
        int binary = 0;
        int compare = 0;
        for (Prim p : Prim.values()) {
            switch (p.kind()) {
                case UNARY -> {
                    assertEquals(u.get(p.name()), CudaOpCodes.unary(p), "U_" + p.name());
                    unary++;
                }
                case BINARY -> {
                    assertEquals(b.get(p.name()), CudaOpCodes.binary(p), "B_" + p.name());
                    binary++;
                }
                case COMPARE -> {
                    assertEquals(c.get(p.name()), CudaOpCodes.compare(p), "C_" + p.name());
                    compare++;
                }
                default -> { }
            }
        }
        // every native code but the kernel-internal ones (AFFINE, the counts) has its primitive
        assertEquals(u.get("COUNT") - 1, unary, "U_ codes without a primitive (besides U_AFFINE)");
        assertEquals(b.get("COUNT"), binary);
        assertEquals(c.get("COUNT"), compare);
    }

    @Test
    void theAbiVersionTagIsReadFromTheBytes() {
        byte[] v2 = "xx\u0000tangent-kernels-abi=2;\u0000yy".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(2, FatbinAbi.declaredVersion(v2));
        assertEquals(-1, FatbinAbi.declaredVersion("no tag here".getBytes(StandardCharsets.ISO_8859_1)));
        assertEquals(-1, FatbinAbi.declaredVersion("tangent-kernels-abi=;".getBytes(StandardCharsets.ISO_8859_1)));
        byte[] mixed = "tangent-kernels-abi=2;...tangent-kernels-abi=3;".getBytes(StandardCharsets.ISO_8859_1);
        assertThrows(IllegalStateException.class, () -> FatbinAbi.declaredVersion(mixed));
    }

    @Test
    void aFatbinOfAnotherAbiIsRefusedWithAClearMessage() {
        byte[] v1 = FatbinFuzzTest.container("tangent-kernels-abi=1;".getBytes(StandardCharsets.ISO_8859_1));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> FatbinAbi.check(v1, "test.fatbin"));
        assertTrue(e.getMessage().contains("test.fatbin") && e.getMessage().contains("ABI version 1")
                && e.getMessage().contains("needs version " + FatbinAbi.VERSION), e.getMessage());
        IllegalStateException old = assertThrows(IllegalStateException.class,
                () -> FatbinAbi.check(FatbinFuzzTest.container(new byte[100]), "old.fatbin"));
        assertTrue(old.getMessage().contains("no tangent-kernels-abi tag"), old.getMessage());
        assertThrows(IllegalStateException.class, () -> FatbinAbi.checkLoaded(1));
        FatbinAbi.checkLoaded(FatbinAbi.VERSION);
    }

    @Test
    void theBuiltFatbinCarriesThisAbiVersion() throws Exception {
        try (InputStream in = Cuda.class.getResourceAsStream(Cuda.FATBIN_RESOURCE)) {
            Assumptions.assumeTrue(in != null, "the kernels were not built (no nvcc)");
            assertEquals(FatbinAbi.VERSION, FatbinAbi.declaredVersion(in.readAllBytes()));
        }
        String cu = Files.readString(NATIVE.resolve("tangent_kernels.cu"));
        assertTrue(cu.contains("tg_abi_version = " + FatbinAbi.VERSION + ";")
                && cu.contains("\"tangent-kernels-abi=" + FatbinAbi.VERSION + ";\""), "native/tangent_kernels.cu's ABI");
    }
}
