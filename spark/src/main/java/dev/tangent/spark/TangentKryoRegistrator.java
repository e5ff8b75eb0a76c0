package dev.tangent.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import dev.tangent.Tensor;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Kryo registrations for Spark ({@code spark.kryo.registrator=dev.tangent.spark.TangentKryoRegistrator}):
 * this module's serializable classes, and a serializer for {@link Tensor} that refuses, with
 * Tangent's own message, instead of letting Kryo copy a native pointer field by field.
 */
public final class TangentKryoRegistrator implements KryoRegistrator {

    /** The message a tensor's serialization fails with (Java serialization says the same). */
    public static final String TENSOR_NOT_SERIALIZABLE = "dev.tangent.Tensor: tensors live in native memory and"
            + " cannot be serialized; send what builds them (a TangentModel: weights as arrays or a broadcast"
            + " variable) and make tensors on the executor";

    @Override
    public void registerClasses(Kryo kryo) {
        kryo.register(Tensor.class, new RefuseTensor());
        kryo.register(float[].class);
        kryo.register(float[][].class);
        kryo.register(double[].class);
        kryo.register(int[].class);
        kryo.register(Mlp.class);
        kryo.register(Mlp.Activation.class);
        kryo.register(Mlp.Parameters.class);
        kryo.register(JvpTransformer.class);
        kryo.register(JacobianTransformer.class);
    }

    /** Kryo's serializer for {@link Tensor}: both directions throw. */
    static final class RefuseTensor extends Serializer<Tensor> {
        @Override
        public void write(Kryo kryo, Output output, Tensor tensor) {
            throw new KryoException(TENSOR_NOT_SERIALIZABLE);
        }

        @Override
        public Tensor read(Kryo kryo, Input input, Class<Tensor> type) {
            throw new KryoException(TENSOR_NOT_SERIALIZABLE);
        }
    }
}
