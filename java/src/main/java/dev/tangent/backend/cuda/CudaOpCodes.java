package dev.tangent.backend.cuda;

import dev.tangent.ops.Prim;

/**
 * The op codes of Tangent's CUDA kernels, written out per primitive (never derived from enum
 * order): they must equal the {@code UnaryOp}, {@code BinaryOp} and {@code CompareOp} enums of
 * {@code native/tg_ops.cuh}, which a test reads and compares both ways. Codes are ABI: a change
 * here is a change of {@link FatbinAbi#VERSION}.
 */
final class CudaOpCodes {
    private CudaOpCodes() {}

    /** The {@code U_*} code of a unary primitive. */
    static int unary(Prim p) {
        return switch (p) {
            case NEG -> 0;
            case ABS -> 1;
            case SIGN -> 2;
            case EXP -> 3;
            case EXPM1 -> 4;
            case LOG -> 5;
            case LOG1P -> 6;
            case SQRT -> 7;
            case RSQRT -> 8;
            case RECIPROCAL -> 9;
            case SQUARE -> 10;
            case SIN -> 11;
            case COS -> 12;
            case TAN -> 13;
            case ASIN -> 14;
            case ACOS -> 15;
            case ATAN -> 16;
            case SINH -> 17;
            case COSH -> 18;
            case TANH -> 19;
            case ASINH -> 20;
            case ACOSH -> 21;
            case ATANH -> 22;
            case ERF -> 23;
            case SIGMOID -> 24;
            case RELU -> 25;
            case LEAKY_RELU -> 26;
            case ELU -> 27;
            case GELU -> 28;
            case GELU_TANH -> 29;
            case SILU -> 30;
            case SOFTPLUS -> 31;
            case CLAMP -> 32;
            case POW_SCALAR -> 33;
            default -> throw new IllegalArgumentException("no CUDA unary op code for " + p.opName());
        };
    }

    /** The {@code B_*} code of a binary primitive. */
    static int binary(Prim p) {
        return switch (p) {
            case ADD -> 0;
            case SUB -> 1;
            case MUL -> 2;
            case DIV -> 3;
            case POW -> 4;
            case MAXIMUM -> 5;
            case MINIMUM -> 6;
            default -> throw new IllegalArgumentException("no CUDA binary op code for " + p.opName());
        };
    }

    /** The {@code C_*} code of a comparison primitive. */
    static int compare(Prim p) {
        return switch (p) {
            case GT -> 0;
            case GE -> 1;
            case LT -> 2;
            case LE -> 3;
            case EQ -> 4;
            case NE -> 5;
            default -> throw new IllegalArgumentException("no CUDA comparison op code for " + p.opName());
        };
    }
}
