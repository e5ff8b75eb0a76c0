package dev.tangent.bench;

/** One jvp call, freeing whatever it allocates the way its library's users would. */
@FunctionalInterface
public interface JvpWorkload {
    void call();
}
