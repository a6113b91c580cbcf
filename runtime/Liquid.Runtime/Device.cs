namespace Liquid.Runtime;

/// <summary>Device kinds. Values equal libtorch's <c>c10::DeviceType</c>.</summary>
public enum DeviceType
{
    /// <summary>Host memory.</summary>
    Cpu = 0,
    /// <summary>An NVIDIA GPU (needs a CUDA build of libtorch, see runtime/native/README.md).</summary>
    Cuda = 1,
}

/// <summary>Where a tensor lives: <c>cpu</c> or <c>cuda:N</c> (<c>torch.device</c>).</summary>
public readonly record struct Device(DeviceType Type, int Index = -1)
{
    /// <summary>The host.</summary>
    public static Device Cpu => new(DeviceType.Cpu);

    /// <summary>GPU number <paramref name="index"/>.</summary>
    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public static Device Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var spec = text.Trim().ToLowerInvariant();
        if (spec == "cpu") return Cpu;
        if (spec == "cuda") return Cuda();
        if (spec.StartsWith("cuda:", StringComparison.Ordinal) &&
            int.TryParse(spec.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
            return Cuda(index);
        throw new FormatException($"'{text}' is not a device: expected cpu, cuda or cuda:N");
    }

    /// <inheritdoc/>
    public override string ToString() => Type switch
    {
        DeviceType.Cpu => "cpu",
        _ when Index < 0 => "cuda",
        _ => $"cuda:{Index}",
    };
}
