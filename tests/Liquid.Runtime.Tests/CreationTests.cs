using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests;

/// <summary>Factories, copies in and out of .NET arrays, dtype conversion and the text form, against hand-written values.</summary>
public class CreationTests
{
    [Fact]
    public void ZerosOnesAndFullFillEveryElement()
    {
        using var scope = TensorScope.Enter();
        var zeros = Tensor.Zeros([2, 3]);
        Assert.Equal(DType.Float32, zeros.DType);
        Assert.Equal(new long[] { 2, 3 }, zeros.Shape);
        Assert.Equal(new float[6], zeros.ToArray<float>());

        var ones = Tensor.Ones([3], DType.Float64);
        Assert.Equal(DType.Float64, ones.DType);
        Assert.Equal(new double[] { 1, 1, 1 }, ones.ToArray<double>());

        var intOnes = Tensor.Ones([2, 1], DType.Int32);
        Assert.Equal(new[] { 1, 1 }, intOnes.ToArray<int>());

        var full = Tensor.Full([2, 2], 7.5);
        Assert.Equal(new float[] { 7.5f, 7.5f, 7.5f, 7.5f }, full.ToArray<float>());

        var fullLong = Tensor.Full([3], long.MaxValue, DType.Int64);
        Assert.Equal(new[] { long.MaxValue, long.MaxValue, long.MaxValue }, fullLong.ToArray<long>());

        var fullBool = Tensor.Full([2], true, DType.Bool);
        Assert.Equal(new[] { true, true }, fullBool.ToArray<bool>());
    }

    [Fact]
    public void EmptyWithAZeroSizedDimensionHasNoElements()
    {
        using var scope = TensorScope.Enter();
        var empty = Tensor.Empty([0, 3]);
        Assert.Equal(new long[] { 0, 3 }, empty.Shape);
        Assert.Equal(0, empty.NumElements);
        Assert.Empty(empty.ToArray<float>());
        Assert.Equal(2, empty.Rank);

        var fromNothing = Tensor.From(Array.Empty<double>(), 0, 3);
        Assert.Equal(DType.Float64, fromNothing.DType);
        Assert.Equal(new long[] { 0, 3 }, fromNothing.Shape);
        Assert.Empty(fromNothing.ToArray<double>());
    }

    [Fact]
    public void ArangeCountsUpOrDownByTheStep()
    {
        using var scope = TensorScope.Enter();
        var simple = Tensor.Arange(5);
        Assert.Equal(DType.Int64, simple.DType);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, simple.ToArray<long>());

        Assert.Equal(new long[] { 10, 7, 4, 1 }, Tensor.Arange(10L, 0L, -3L).ToArray<long>());
        Assert.Equal(new long[] { 2, 4 }, Tensor.Arange(2L, 6L, 2L).ToArray<long>()); // the end is excluded

        var fractional = Tensor.Arange(1.0, 2.0, 0.25, DType.Float64);
        Assert.Equal(new[] { 1.0, 1.25, 1.5, 1.75 }, fractional.ToArray<double>());

        var tenths = Tensor.Arange(0.0, 1.0, 0.1, DType.Float32);
        Assert.Equal(new long[] { 10 }, tenths.Shape); // ceil((1 − 0) / 0.1)
        TensorAssert.Close(Enumerable.Range(0, 10).Select(k => k / 10.0).ToArray(), tenths, rtol: 1e-6, atol: 1e-7);

        Assert.Empty(Tensor.Arange(0).ToArray<long>());
    }

    [Fact]
    public void LinspaceIncludesBothEnds()
    {
        using var scope = TensorScope.Enter();
        Assert.Equal(new float[] { 0, 0.25f, 0.5f, 0.75f, 1 }, Tensor.Linspace(0, 1, 5).ToArray<float>());
        Assert.Equal(new[] { -1.0, -0.5, 0, 0.5, 1 }, Tensor.Linspace(-1, 1, 5, DType.Float64).ToArray<double>());
        Assert.Equal(new[] { 2.0, 2.25, 2.5 }, Tensor.Linspace(2, 2.5, 3, DType.Float64).ToArray<double>());
        Assert.Equal(new float[] { 3 }, Tensor.Linspace(3, 9, 1).ToArray<float>());
        Assert.Equal(new[] { 4.0, 3.0, 2.0 }, Tensor.Linspace(4, 2, 3, DType.Float64).ToArray<double>());

        var tenths = Tensor.Linspace(0, 1, 11, DType.Float64);
        TensorAssert.Close(Enumerable.Range(0, 11).Select(k => k / 10.0).ToArray(), tenths, rtol: 1e-15, atol: 1e-16);
    }

    [Fact]
    public void EyeIsTheIdentityIncludingRectangularShapes()
    {
        using var scope = TensorScope.Enter();
        var square = Tensor.Eye(3);
        Assert.Equal(new long[] { 3, 3 }, square.Shape);
        Assert.Equal(new float[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, square.ToArray<float>());

        var wide = Tensor.Eye(2, 3, DType.Int64);
        Assert.Equal(new long[] { 2, 3 }, wide.Shape);
        Assert.Equal(new long[] { 1, 0, 0, 0, 1, 0 }, wide.ToArray<long>());

        var tall = Tensor.Eye(3, 2, DType.Float64);
        Assert.Equal(new double[] { 1, 0, 0, 1, 0, 0 }, tall.ToArray<double>());
    }

    [Fact]
    public void Float32RoundTripsBitForBit()
    {
        using var scope = TensorScope.Enter();
        float[] values = [0f, -0f, 1.5f, -3.25e-20f, float.Epsilon, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity, float.NaN];
        var tensor = Tensor.From(values, 2, 5);
        Assert.Equal(DType.Float32, tensor.DType);
        Assert.Equal(new long[] { 2, 5 }, tensor.Shape);
        var back = tensor.ToArray<float>();
        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), back.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Float64RoundTripsBitForBit()
    {
        using var scope = TensorScope.Enter();
        double[] values = [0.1, -0.0, Math.PI, double.Epsilon, double.MaxValue, -1e-300, double.NegativeInfinity, double.NaN];
        var tensor = Tensor.From(values);
        Assert.Equal(DType.Float64, tensor.DType);
        Assert.Equal(new long[] { 8 }, tensor.Shape);
        Assert.Equal(values.Select(BitConverter.DoubleToInt64Bits), tensor.ToArray<double>().Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void Float16RoundTripsBitForBit()
    {
        using var scope = TensorScope.Enter();
        Half[] values = [(Half)0, (Half)(-0.0f), (Half)1.5f, Half.Epsilon, Half.MaxValue, Half.MinValue, Half.PositiveInfinity, Half.NaN];
        var tensor = Tensor.From(values, 4, 2);
        Assert.Equal(DType.Float16, tensor.DType);
        Assert.Equal(values.Select(BitConverter.HalfToInt16Bits), tensor.ToArray<Half>().Select(BitConverter.HalfToInt16Bits));
        // Widening to float64 is exact.
        Assert.Equal(values.Select(v => (double)v).Take(7), tensor.ToArray<double>().Take(7));
    }

    [Fact]
    public void IntegerAndBoolDTypesRoundTrip()
    {
        using var scope = TensorScope.Enter();
        long[] longs = [long.MinValue, -1, 0, 1L << 53 | 1, long.MaxValue];
        var int64 = Tensor.From(longs);
        Assert.Equal(DType.Int64, int64.DType);
        Assert.Equal(longs, int64.ToArray<long>());

        int[] ints = [int.MinValue, -7, 0, 42, int.MaxValue, 3];
        var int32 = Tensor.From(ints, 3, 2);
        Assert.Equal(DType.Int32, int32.DType);
        Assert.Equal(ints, int32.ToArray<int>());

        bool[] bools = [true, false, false, true];
        var boolTensor = Tensor.From(bools, 2, 2);
        Assert.Equal(DType.Bool, boolTensor.DType);
        Assert.Equal(bools, boolTensor.ToArray<bool>());

        byte[] bytes = [0, 1, 127, 128, 255];
        var uint8 = Tensor.From(bytes);
        Assert.Equal(DType.UInt8, uint8.DType);
        Assert.Equal(bytes, uint8.ToArray<byte>());

        short[] shorts = [short.MinValue, 0, short.MaxValue];
        var int16 = Tensor.From(shorts);
        Assert.Equal(DType.Int16, int16.DType);
        Assert.Equal(shorts, int16.ToArray<short>());

        sbyte[] sbytes = [sbyte.MinValue, -1, sbyte.MaxValue];
        var int8 = Tensor.From(sbytes);
        Assert.Equal(DType.Int8, int8.DType);
        Assert.Equal(sbytes, int8.ToArray<sbyte>());
    }

    [Fact]
    public void BFloat16RoundsToNearestEvenAndWidensExactly()
    {
        using var scope = TensorScope.Enter();
        // bfloat16 keeps 8 significant bits: 1 + 2⁻⁸ is a tie (→ 1, even), 1 + 3·2⁻⁸ a tie (→ 1 + 2⁻⁶, even),
        // 1 + 2⁻⁸ + 2⁻²⁰ is just above the tie (→ 1 + 2⁻⁷). 3.140625 = 11.001001₂ fits exactly.
        float[] values = [1f, -2.5f, 3.140625f, 1.00390625f, 1.01171875f, 1.0039072036743164f, float.PositiveInfinity, float.NaN];
        float[] expected = [1f, -2.5f, 3.140625f, 1f, 1.015625f, 1.0078125f, float.PositiveInfinity, float.NaN];
        var source = Tensor.From(values);
        var bf16 = source.To(DType.BFloat16);
        Assert.Equal(DType.BFloat16, bf16.DType);
        Assert.Equal(new long[] { 8 }, bf16.Shape);
        Assert.Equal(expected, bf16.ToArray<float>());
        Assert.Equal(expected.Select(v => (double)v), bf16.ToArray<double>());
        var again = bf16.To(DType.Float32).To(DType.BFloat16).To(DType.Float32);
        Assert.Equal(expected, again.ToArray<float>());
    }

    [Fact]
    public void Float16ConversionRoundsToNearestEvenAndOverflowsToInfinity()
    {
        using var scope = TensorScope.Enter();
        // float16 keeps 11 significant bits; its largest finite value is 65504 and values ≥ 65520 round to ∞;
        // 2⁻²⁴ is the smallest subnormal and 1e-8 is below half of it.
        float[] values = [1.00048828125f, 1.00146484375f, 65504f, 65520f, -1e6f, 1e-8f, 6e-8f];
        double[] expected = [1, 1.001953125, 65504, double.PositiveInfinity, double.NegativeInfinity, 0, Math.Pow(2, -24)];
        var half = Tensor.From(values).To(DType.Float16);
        Assert.Equal(DType.Float16, half.DType);
        Assert.Equal(expected, half.ToArray<double>());
    }

    [Fact]
    public void ConversionsBetweenIntegerFloatAndBool()
    {
        using var scope = TensorScope.Enter();
        var floats = Tensor.From(new[] { -2.7, -0.5, 0.5, 2.7, 1000.0 });
        var truncated = floats.To(DType.Int64);
        Assert.Equal(DType.Int64, truncated.DType);
        Assert.Equal(new long[] { -2, 0, 0, 2, 1000 }, truncated.ToArray<long>()); // towards zero
        Assert.Equal(new long[] { -2, 0, 0, 2, 1000 }, floats.ToArray<long>());    // ToArray converts the same way

        var flags = Tensor.From(new long[] { 0, 3, -1 }).To(DType.Bool);
        Assert.Equal(new[] { false, true, true }, flags.ToArray<bool>());
        Assert.Equal(new[] { 0.0, 1.0, 1.0 }, flags.To(DType.Float64).ToArray<double>());
        Assert.Equal(new long[] { 0, 1, 1 }, flags.To(DType.Int64).ToArray<long>());

        var narrowed = Tensor.From(new[] { 0.1, 1e300, -1e-50 }).To(DType.Float32);
        Assert.Equal(DType.Float32, narrowed.DType);
        Assert.Equal(new[] { 0.1f, float.PositiveInfinity, -0f }, narrowed.ToArray<float>());

        var widened = Tensor.From(new[] { 0.1f }).To(DType.Float64);
        Assert.Equal(new[] { (double)0.1f }, widened.ToArray<double>());

        var bytes = Tensor.From(new long[] { 300, -1, 255, 7 }).To(DType.UInt8);
        Assert.Equal(new byte[] { 44, 255, 255, 7 }, bytes.ToArray<byte>()); // integer narrowing wraps modulo 256

        var sameType = Tensor.From(new[] { 1f, 2f }).To(DType.Float32);
        Assert.Equal(DType.Float32, sameType.DType);
        Assert.Equal(new[] { 1f, 2f }, sameType.ToArray<float>());
    }

    [Fact]
    public void ScalarIsZeroDimensional()
    {
        using var scope = TensorScope.Enter();
        var scalar = Tensor.Scalar(2.5);
        Assert.Equal(0, scalar.Rank);
        Assert.Empty(scalar.Shape);
        Assert.Equal(1, scalar.NumElements);
        Assert.Equal(DType.Float64, scalar.DType);
        Assert.Equal(2.5, scalar.Item());

        var integer = Tensor.Scalar(-9L);
        Assert.Equal(DType.Int64, integer.DType);
        Assert.Equal(-9L, integer.ItemInt64());
    }

    [Fact]
    public void ItemReadsTheOnlyElement()
    {
        using var scope = TensorScope.Enter();
        Assert.Equal(7.0, Tensor.From(new float[] { 7 }, 1, 1).Item());
        Assert.Equal(long.MaxValue, Tensor.From(new[] { long.MaxValue }).ItemInt64());
        Assert.Equal(1.0, Tensor.From(new[] { true }).Item());
        Assert.Equal(-0.125, Tensor.From(new[] { (Half)(-0.125f) }).Item());
        Assert.Equal(6.0, Tensor.From(new float[] { 1, 2, 3 }).Sum().Item());
    }

    [Fact]
    public void ToStringShowsShapeDTypeDeviceAndValues()
    {
        using var scope = TensorScope.Enter();
        var matrix = Tensor.From(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.Equal("Tensor[2, 3] float32 cpu [[1, 2, 3], [4, 5, 6]]", matrix.ToString());

        Assert.Equal("Tensor[] int64 cpu 7", Tensor.Scalar(7L).ToString());
        Assert.Equal("Tensor[3] float64 cpu [0.5, -1.25, 1E+10]", Tensor.From(new[] { 0.5, -1.25, 1e10 }).ToString());
        Assert.Equal("Tensor[1, 2] float32 cpu [[0.1, 0.333333]]", Tensor.From(new[] { 0.1f, 1f / 3 }, 1, 2).ToString());

        var trained = Tensor.From(new float[] { 1, 2 }).RequiresGrad_();
        Assert.Equal("Tensor[2] float32 cpu requires_grad [1, 2]", trained.ToString());

        var empty = Tensor.Zeros([0, 2], DType.Int32);
        Assert.Equal("Tensor[0, 2] int32 cpu []", empty.ToString());

        var large = Tensor.Arange(100, DType.Float32);
        var text = large.ToString();
        Assert.StartsWith("Tensor[100] float32 cpu [0, 1, 2, ", text, StringComparison.Ordinal);
        Assert.EndsWith(", 62, 63, … (100 values)]", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TensorsLiveOnTheCpuByDefault()
    {
        using var scope = TensorScope.Enter();
        var tensor = Tensor.Ones([2]);
        Assert.Equal(Device.Cpu, tensor.Device);
        Assert.Equal("cpu", tensor.Device.ToString());
        Assert.Equal(Device.Cpu, tensor.To(Device.Cpu).Device);
        var converted = tensor.To(Device.Cpu, DType.Int64, copy: true);
        Assert.Equal(DType.Int64, converted.DType);
        Assert.Equal(new long[] { 1, 1 }, converted.ToArray<long>());
    }

    [Fact]
    public void LikeFactoriesKeepShapeAndDType()
    {
        using var scope = TensorScope.Enter();
        var source = Tensor.From(new[] { 5, 6, 7, 8, 9, 10 }, 2, 3);
        var zeros = source.ZerosLike();
        var ones = source.OnesLike();
        Assert.Equal(DType.Int32, zeros.DType);
        Assert.Equal(new long[] { 2, 3 }, ones.Shape);
        Assert.Equal(new int[6], zeros.ToArray<int>());
        Assert.Equal(Enumerable.Repeat(1, 6), ones.ToArray<int>());
    }

    [Fact]
    public void InPlaceFillsAndCopiesChangeOnlyTheirTarget()
    {
        using var scope = TensorScope.Enter();
        var original = Tensor.From(new[] { 1.0, 2.0, 3.0 });
        var clone = original.Clone();
        Assert.Same(clone, clone.Fill_(9.0));
        Assert.Equal(new[] { 9.0, 9.0, 9.0 }, clone.ToArray<double>());
        Assert.Equal(new[] { 1.0, 2.0, 3.0 }, original.ToArray<double>());
        Assert.Same(clone, clone.Zero_());
        Assert.Equal(new[] { 0.0, 0.0, 0.0 }, clone.ToArray<double>());

        // copy_ broadcasts the source and converts its dtype.
        var target = Tensor.Zeros([2, 3]);
        Assert.Same(target, target.Copy_(Tensor.From(new long[] { 1, 2, 3 })));
        Assert.Equal(new float[] { 1, 2, 3, 1, 2, 3 }, target.ToArray<float>());
    }

    [Fact]
    public void FromCopiesTheCallersArray()
    {
        using var scope = TensorScope.Enter();
        var data = new[] { 1f, 2f };
        var tensor = Tensor.From(data);
        data[0] = 100;
        Assert.Equal(new[] { 1f, 2f }, tensor.ToArray<float>());
        var read = tensor.ToArray<float>();
        read[1] = -5;
        Assert.Equal(new[] { 1f, 2f }, tensor.ToArray<float>());
    }

    [Fact]
    public void ComplexValuesRoundTrip()
    {
        using var scope = TensorScope.Enter();
        System.Numerics.Complex[] values = [new(1, -2), new(0.5, 0), new(-3, 4.25)];
        var tensor = Tensor.From(values);
        Assert.Equal(DType.Complex128, tensor.DType);
        Assert.Equal(values, tensor.ToArray<System.Numerics.Complex>());
        Assert.Equal(new[] { 1.0, 0.5, -3.0 }, tensor.Real().ToArray<double>());
        Assert.Equal(new[] { -2.0, 0.0, 4.25 }, tensor.Imag().ToArray<double>());
    }
}
