using System.Globalization;
using System.Text;

namespace Sillon.Library;

/// <summary>How names compare and sort: the rules that decide when two tags mean the same artist or album.</summary>
public static class Names
{
    // Leading articles ignored when sorting, as Navidrome and most players do.
    private static readonly string[] Articles = ["the ", "a ", "an ", "le ", "la ", "les ", "l'", "el ", "los ", "las ", "die ", "der ", "das "];

    /// <summary>Case- and space-insensitive identity of a name: "The  Beatles" and "the beatles" are one artist.</summary>
    public static string Fold(string name)
    {
        // A scan folds several names per file: one pass into a stack buffer, and the name itself
        // when it already is its folded form.
        var trimmed = name.AsSpan().Trim();
        Span<char> folded = trimmed.Length <= 256 ? stackalloc char[trimmed.Length] : new char[trimmed.Length];
        var length = 0;
        var space = false;
        foreach (var c in trimmed)
        {
            if (char.IsWhiteSpace(c)) { space = true; continue; }
            if (space) folded[length++] = ' ';
            space = false;
            folded[length++] = char.ToLowerInvariant(c);
        }
        return folded[..length].SequenceEqual(name) ? name : new string(folded[..length]);
    }

    /// <summary>Sort key: folded, without a leading article and without diacritics.</summary>
    public static string SortKey(string name)
    {
        var folded = RemoveDiacritics(Fold(name));
        foreach (var article in Articles)
            if (folded.Length > article.Length && folded.StartsWith(article, StringComparison.Ordinal))
                return folded[article.Length..];
        return folded;
    }

    public static string RemoveDiacritics(string text)
    {
        // ASCII has no combining marks, and most names are ASCII: skip both normalisations.
        if (System.Text.Ascii.IsValid(text)) return text;
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) sb.Append(c);
        return sb.ToString().Normalize(NormalizationForm.FormC);
    }
}
