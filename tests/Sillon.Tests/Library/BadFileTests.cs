using System.Text;
using Sillon.Library;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Library;

/// <summary>Files that are not what they claim: each gets a clear reason, none crashes the reader.</summary>
public sealed class BadFileTests : IAsyncLifetime
{
    private readonly TestLibrary _library = new();

    [Fact]
    public void Empty_file_is_rejected_with_a_reason()
    {
        var path = _library.WriteBytes("empty.mp3", []);
        var e = Assert.Throws<TagReadException>(() => TagReader.Read(path));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }

    [Fact]
    public void Text_file_named_flac_is_rejected_as_corrupt()
    {
        var path = _library.WriteBytes("notes.flac", Encoding.UTF8.GetBytes("these are my notes, not music\n"));
        var e = Assert.Throws<TagReadException>(() => TagReader.Read(path));
        Assert.Contains("corrupt", e.Message);
    }

    [Fact]
    public void Random_bytes_named_mp3_are_rejected()
    {
        var bytes = new byte[64 * 1024];
        new Random(42).NextBytes(bytes);
        var path = _library.WriteBytes("noise.mp3", bytes);
        Assert.Throws<TagReadException>(() => TagReader.Read(path));
    }

    [Fact]
    public async Task Truncated_flac_is_read_or_rejected_but_never_crashes()
    {
        var path = await _library.AddAsync("whole.flac", "flac", new TagSet { Title = "Whole", Artists = ["A"], Album = "B" }, seconds: 3);
        var bytes = await File.ReadAllBytesAsync(path);
        var cut = _library.WriteBytes("cut.flac", bytes[..(bytes.Length / 3)]);
        var headerOnly = _library.WriteBytes("header-only.flac", bytes[..60]);

        // A FLAC cut in its audio still has valid metadata: it is listed (and plays as far as it goes).
        Assert.Equal("Whole", TagReader.Read(cut).Title);
        Assert.Throws<TagReadException>(() => TagReader.Read(headerOnly));
    }

    [Fact]
    public async Task Id3_frame_claiming_gigabytes_does_not_exhaust_memory()
    {
        var source = await _library.AddUntaggedAsync("plain.mp3");
        var audio = await File.ReadAllBytesAsync(source);
        // An ID3v2.3 header claiming a 256 MB tag, then a TIT2 frame claiming 2 GB, then the audio.
        var tag = new List<byte>("ID3"u8.ToArray()) { 3, 0, 0, 0x7F, 0x7F, 0x7F, 0x7F };
        tag.AddRange("TIT2"u8.ToArray());
        tag.AddRange([0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0]);
        tag.AddRange("Title"u8.ToArray());
        var path = _library.WriteBytes("huge-frame.mp3", [.. tag, .. audio]);

        var before = GC.GetTotalMemory(true);
        try { TagReader.Read(path); }
        catch (TagReadException) { }
        Assert.True(GC.GetTotalMemory(true) - before < 100_000_000, "reading a lying tag must not allocate what it claims");
    }

    [Fact]
    public async Task Latin1_and_mixed_encoding_tags_become_readable_text()
    {
        var source = await _library.AddUntaggedAsync("plain2.mp3");
        var audio = await File.ReadAllBytesAsync(source);
        // ID3v2.3 with a Latin-1 title ("Café Olé" in ISO-8859-1 bytes) and a UTF-16 artist.
        var title = Frame("TIT2", [0, .. Encoding.Latin1.GetBytes("Café Olé")]);
        var artist = Frame("TPE1", [1, 0xFF, 0xFE, .. Encoding.Unicode.GetBytes("Sigur Rós")]);
        // A frame that says UTF-16 but holds an odd number of bytes and a lone surrogate.
        var album = Frame("TALB", [1, 0xFF, 0xFE, 0x00, 0xD8, 0x41]);
        byte[] body = [.. title, .. artist, .. album];
        var path = _library.WriteBytes("latin1.mp3", [.. Id3Header(body.Length), .. body, .. audio]);

        var tags = TagReader.Read(path);

        Assert.Equal("Café Olé", tags.Title);
        Assert.Equal("Sigur Rós", tags.DisplayArtist);
        Assert.DoesNotContain(tags.Album, c => char.IsSurrogate(c) && !char.IsHighSurrogate(c) && !char.IsLowSurrogate(c));
        Assert.All(tags.Album, c => Assert.False(char.IsControl(c)));
    }

    [Fact]
    public void File_deleted_before_reading_is_reported_as_disappeared()
    {
        var e = Assert.Throws<TagReadException>(() => TagReader.Read(_library.PathOf("gone.mp3")));
        Assert.Contains("disappeared", e.Message);
    }

    private static byte[] Id3Header(int size) =>
        [.. "ID3"u8.ToArray(), 3, 0, 0, (byte)((size >> 21) & 0x7F), (byte)((size >> 14) & 0x7F), (byte)((size >> 7) & 0x7F), (byte)(size & 0x7F)];

    private static byte[] Frame(string id, byte[] content) =>
        [.. Encoding.ASCII.GetBytes(id), (byte)(content.Length >> 24), (byte)(content.Length >> 16), (byte)(content.Length >> 8), (byte)content.Length, 0, 0, .. content];

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _library.DisposeAsync();
}
