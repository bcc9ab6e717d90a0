namespace Sillon.Library;

/// <summary>The audio formats the scanner reads, by file suffix, with the MIME type we serve them as.</summary>
public static class AudioFormats
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mp3"] = "audio/mpeg",
        ["flac"] = "audio/flac",
        ["ogg"] = "audio/ogg",
        ["oga"] = "audio/ogg",
        ["opus"] = "audio/ogg; codecs=opus",
        ["m4a"] = "audio/mp4",
        ["m4b"] = "audio/mp4",
        ["mp4"] = "audio/mp4",
        ["wav"] = "audio/wav",
        ["aif"] = "audio/aiff",
        ["aiff"] = "audio/aiff",
        ["aifc"] = "audio/aiff",
        ["wma"] = "audio/x-ms-wma",
        ["ape"] = "audio/x-ape",
        ["wv"] = "audio/x-wavpack",
    };

    private static readonly HashSet<string> ImageSuffixes = new(StringComparer.OrdinalIgnoreCase) { "jpg", "jpeg", "png", "webp", "gif", "bmp" };

    public static bool IsAudio(ReadOnlySpan<char> fileName) => ContentTypes.GetAlternateLookup<ReadOnlySpan<char>>().ContainsKey(Suffix(fileName));

    public static bool IsImage(ReadOnlySpan<char> fileName) => ImageSuffixes.GetAlternateLookup<ReadOnlySpan<char>>().Contains(Suffix(fileName));

    public static string ContentType(string suffix) => ContentTypes.GetValueOrDefault(suffix, "application/octet-stream");

    public static ReadOnlySpan<char> Suffix(ReadOnlySpan<char> fileName)
    {
        var dot = fileName.LastIndexOf('.');
        return dot < 0 ? [] : fileName[(dot + 1)..];
    }

    public static string ImageContentType(string path) => Suffix(path).ToString().ToLowerInvariant() switch
    {
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        _ => "image/jpeg",
    };
}
