using System.Buffers.Binary;
using System.Text;

namespace Liquid.Runtime.Tests.Serialization;

/// <summary>Locates files in the repository, independent of where the test binaries were built.</summary>
internal static class RepoPaths
{
    public static string Root => Liquid.Tests.RepositoryRoot.Path;

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);
}

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string FullName { get; } = Directory.CreateTempSubdirectory("liquid-safetensors-").FullName;

    public string File(string name) => Path.Combine(FullName, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(FullName, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is not worth failing a test over.
        }
    }
}

/// <summary>Builds raw safetensors bytes by hand, so tests can produce files no valid writer would.</summary>
internal static class RawFile
{
    /// <summary>Frames a header (as given, unpadded) and data, optionally lying about the header length.</summary>
    public static byte[] Build(string headerJson, byte[] data, ulong? declaredHeaderLength = null) =>
        Build(Encoding.UTF8.GetBytes(headerJson), data, declaredHeaderLength);

    public static byte[] Build(byte[] header, byte[] data, ulong? declaredHeaderLength = null)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    public static ulong HeaderLength(byte[] file) => BinaryPrimitives.ReadUInt64LittleEndian(file);

    public static string HeaderText(byte[] file) => Encoding.UTF8.GetString(file, 8, (int)HeaderLength(file));

    public static byte[] Data(byte[] file) => file[(8 + (int)HeaderLength(file))..];
}
