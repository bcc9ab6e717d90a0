using System.Globalization;

namespace Sillon.Catalog;

/// <summary>
/// Public ids are opaque strings: a kind prefix and the row id ("tr-42"). The prefix lets an endpoint
/// that accepts several kinds (cover art) tell them apart, and rows ids never get reused.
/// </summary>
public static class CatalogIds
{
    public const string Track = "tr", Album = "al", Artist = "ar", Folder = "fo", Playlist = "pl", Share = "sh", Radio = "ra";

    public static string Format(string kind, long id) => string.Concat(kind, "-", id.ToString(CultureInfo.InvariantCulture));

    public static bool TryParse(string? value, string kind, out long id)
    {
        id = 0;
        if (value is null || value.Length < kind.Length + 2 || value.Length > kind.Length + 20) return false;
        if (!value.StartsWith(kind, StringComparison.Ordinal) || value[kind.Length] != '-') return false;
        return long.TryParse(value.AsSpan(kind.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0;
    }
}

/// <summary>Paging parameters arrive from strangers: clamp them, never trust them.</summary>
public readonly record struct Paging(int Offset, int Limit)
{
    public const int MaxLimit = 500;

    public static Paging From(int? offset, int? limit, int defaultLimit = 50) =>
        new(Math.Clamp(offset ?? 0, 0, int.MaxValue), Math.Clamp(limit ?? defaultLimit, 1, MaxLimit));
}

public sealed record Page<T>(IReadOnlyList<T> Items, long Total, int Offset, int Limit);
