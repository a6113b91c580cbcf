using System.Buffers.Binary;
using System.IO.Compression;

namespace Liquid.Harness.Data;

/// <summary>
/// Reads IDX files of unsigned bytes, the format of MNIST and Fashion-MNIST: a 4-byte magic number
/// (0, 0, element type 0x08 = unsigned byte, number of dimensions), each dimension as a big-endian
/// int32, then the elements in row-major order. Gzipped files (as Debian ships them) are recognised
/// by their own magic bytes. Anything else — wrong magic, a zero dimension, a truncated or
/// overlong body, a corrupt gzip stream — is a <see cref="DataException"/> naming the file.
/// </summary>
internal static class IdxFile
{
    private const byte UnsignedByte = 0x08;

    /// <summary>The dimensions and elements of the IDX file at <paramref name="path"/>, which must have <paramref name="rank"/> dimensions.</summary>
    public static (int[] Dimensions, byte[] Data) Read(string path, int rank)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
            var gzipped = file.Length >= 2 && file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
            file.Position = 0;
            using var stream = gzipped ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            return Read(stream, path, rank);
        }
        catch (InvalidDataException e)
        {
            throw new DataException($"{path}: the gzip stream is corrupt ({e.Message})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"{path}: cannot read the file: {e.Message}");
        }
    }

    private static (int[] Dimensions, byte[] Data) Read(Stream stream, string path, int rank)
    {
        Span<byte> magic = stackalloc byte[4];
        if (stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4) throw new DataException($"{path}: the file is too short to be an IDX file (no 4-byte magic number)");
        if (magic[0] != 0 || magic[1] != 0)
            throw new DataException($"{path}: magic number 0x{Convert.ToHexString(magic)} is not an IDX file's (it starts with two zero bytes)");
        if (magic[2] != UnsignedByte)
            throw new DataException($"{path}: IDX element type 0x{magic[2]:X2} is not unsigned bytes (0x08), the only type this reader takes");
        if (magic[3] != rank)
            throw new DataException($"{path}: the IDX file has {magic[3]} dimension(s), expected {rank}");

        var header = new byte[4 * rank];
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
            throw new DataException($"{path}: the file ends inside its header of {rank} dimension(s)");
        var dimensions = new int[rank];
        long count = 1;
        for (var d = 0; d < rank; d++)
        {
            dimensions[d] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 * d));
            if (dimensions[d] <= 0) throw new DataException($"{path}: dimension {d} of the IDX header is {dimensions[d]}; dimensions must be positive");
            count *= dimensions[d];
            if (count > Array.MaxLength) throw new DataException($"{path}: the IDX header declares more than {Array.MaxLength} elements");
        }

        var data = new byte[count];
        var read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (read < data.Length)
            throw new DataException($"{path}: the file is truncated: its header [{string.Join(" × ", dimensions)}] declares {count} bytes of data, but only {read} follow");
        if (stream.ReadByte() >= 0)
            throw new DataException($"{path}: the file has bytes beyond the {count} its header [{string.Join(" × ", dimensions)}] declares");
        return (dimensions, data);
    }
}
