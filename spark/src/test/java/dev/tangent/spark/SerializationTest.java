package dev.tangent.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

class SerializationTest {
    private static final String TANGENT_MESSAGE =
            "dev.tangent.Tensor: tensors live in native memory and cannot be serialized";

    private static byte[] javaSerialize(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    private static Object javaDeserialize(byte[] b) throws Exception {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
            return in.readObject();
        }
    }

    private static SerializerInstance kryo() {
        SparkConf conf = new SparkConf().set("spark.kryo.registrator", TangentKryoRegistrator.class.getName());
        return new KryoSerializer(conf).newInstance();
    }

    @SuppressWarnings("unchecked")
    private static <T> ClassTag<T> tag(Class<?> c) {
        return (ClassTag<T>) ClassTag$.MODULE$.apply(c);
    }

    private static JvpTransformer transformer() {
        return new JvpTransformer().setModel(SparkTests.MODEL).setTangentCol("tangent").setOutputCol("y")
                .setBatchSize(100).setIdCol("id");
    }

    private static void assertSameResults(JvpTransformer a, JvpTransformer b) {
        Dataset<Row> in = SparkTests.data(SparkTests.Encoding.ARRAY).limit(300);
        List<Row> x = a.transform(in).collectAsList();
        List<Row> y = b.transform(in).collectAsList();
        assertEquals(x, y);
    }

    @Test
    void theTransformerSurvivesJavaSerialization() throws Exception {
        JvpTransformer t = transformer();
        JvpTransformer back = (JvpTransformer) javaDeserialize(javaSerialize(t));
        assertEquals(t.uid(), back.uid());
        assertEquals(100, back.getBatchSize());
        assertEquals("tangent", back.getTangentCol());
        assertSameResults(t, back);
        JvpTransformer fixed = transformer().setTangent(SparkTests.tangent(3));
        JvpTransformer fixedBack = (JvpTransformer) javaDeserialize(javaSerialize(fixed));
        assertSameResults(fixed, fixedBack);
    }

    @Test
    void theTransformerSurvivesKryo() {
        SerializerInstance kryo = kryo();
        JvpTransformer t = transformer();
        JvpTransformer back = kryo.deserialize(kryo.serialize(t, tag(JvpTransformer.class)), tag(JvpTransformer.class));
        assertEquals(t.uid(), back.uid());
        assertEquals("y", back.getOutputCol());
        assertSameResults(t, back);
        JacobianTransformer j = new JacobianTransformer().setModel(SparkTests.MODEL).setMode("forward");
        JacobianTransformer jBack = kryo.deserialize(kryo.serialize(j, tag(JacobianTransformer.class)),
                tag(JacobianTransformer.class));
        assertEquals("forward", jBack.getMode());
    }

    @Test
    void aTensorFailsJavaSerializationWithTangentsMessage() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(new float[] {1, 2, 3}, 3);
            NotSerializableException e = assertThrows(NotSerializableException.class, () -> javaSerialize(x));
            assertTrue(e.getMessage().startsWith(TANGENT_MESSAGE), e.getMessage());
            assertEquals(Tensor.NOT_SERIALIZABLE, e.getMessage());
            // inside a model description too: a Tensor captured by a builder cannot travel
            TangentModel captures = TangentModel.of(3, 3, () -> t -> t.add(x));
            assertThrows(NotSerializableException.class, () -> javaSerialize(captures));
        }
    }

    @Test
    void aTensorFailsKryoWithTangentsMessage() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(new float[] {1, 2, 3}, 3);
            SerializerInstance kryo = kryo();
            Exception e = assertThrows(Exception.class, () -> kryo.serialize(x, tag(Tensor.class)));
            assertTrue(SparkTests.messages(e).contains(TANGENT_MESSAGE), SparkTests.messages(e));
            Exception nested = assertThrows(Exception.class, () -> kryo.serialize(List.of(x), tag(List.class)));
            assertTrue(SparkTests.messages(nested).contains(TANGENT_MESSAGE), SparkTests.messages(nested));
        }
    }
}
