package dev.tangent;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * An immutable tuple of values (tensors or nested tuples), PyTorch's tuple of tensors.
 *
 * <p>A tuple of one element is still a tuple: functions that take {@code Tuple.of(x)} get
 * tuple-shaped results, as in PyTorch.
 */
public final class Tuple implements Value, Iterable<Value> {
    private final List<Value> items;

    private Tuple(List<Value> items) {
        this.items = items;
    }

    /** A tuple of these values; none may be null. */
    public static Tuple of(Value... items) {
        return ofList(Arrays.asList(items));
    }

    /** A tuple of the values in this list; none may be null. */
    public static Tuple ofList(List<? extends Value> items) {
        List<Value> copy = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            Value v = items.get(i);
            if (v == null) {
                throw new NullPointerException("Tuple: element " + i + " is null");
            }
            copy.add(v);
        }
        return new Tuple(Collections.unmodifiableList(copy));
    }

    /** Number of elements. */
    public int size() {
        return items.size();
    }

    /** Element {@code i} as a tensor; throws if it is a tuple. */
    public Tensor get(int i) {
        Value v = items.get(i);
        if (v instanceof Tensor t) {
            return t;
        }
        throw new ClassCastException("Tuple element " + i + " is a Tuple, not a Tensor; use tuple(" + i + ")");
    }

    /** Element {@code i} as a nested tuple; throws if it is a tensor. */
    public Tuple tuple(int i) {
        Value v = items.get(i);
        if (v instanceof Tuple t) {
            return t;
        }
        throw new ClassCastException("Tuple element " + i + " is a Tensor, not a Tuple; use get(" + i + ")");
    }

    /** Element {@code i} as it is. */
    public Value value(int i) {
        return items.get(i);
    }

    /** The elements, unmodifiable. */
    public List<Value> values() {
        return items;
    }

    /** The elements as tensors; throws if one is a tuple. */
    public List<Tensor> tensors() {
        List<Tensor> r = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            r.add(get(i));
        }
        return r;
    }

    @Override
    public Iterator<Value> iterator() {
        return items.iterator();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(items.get(i));
        }
        if (items.size() == 1) {
            sb.append(',');
        }
        return sb.append(')').toString();
    }
}
