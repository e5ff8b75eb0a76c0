package dev.tangent.djl.engine;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an NDArray / NDArrayEx / NDManager method the Tangent engine does not implement: it throws
 * {@link UnsupportedOperationException} naming itself (or, when a fallback engine is configured and
 * no differentiation is running, computes on that engine by copying). The README's support table is
 * generated from these marks and a test keeps it true.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Unimplemented {}
