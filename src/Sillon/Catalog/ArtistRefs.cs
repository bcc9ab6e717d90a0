using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sillon.Catalog;

/// <summary>
/// An album's artists as the album row keeps them (albums.artist_refs, migration 0017): a JSON
/// array of <c>[id, name]</c> pairs in credit order, copied from album_artists and artists
/// whenever those are written, so that a page of albums is read without two lookups per album.
/// The databases write it with <see cref="Data.ISqlDialect.JsonPairs"/>, the generator with <see cref="Write"/>.
/// </summary>
public static class ArtistRefs
{
    public static string Write(IEnumerable<(long Id, string Name)> artists)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        // Names as they are (CJK, accents), not \u escapes: the column is storage, never HTML.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartArray();
            foreach (var (id, name) in artists)
            {
                json.WriteStartArray();
                json.WriteNumberValue(id);
                json.WriteStringValue(name);
                json.WriteEndArray();
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The artists of a stored value; none for null (an album the scanner has not finished yet).</summary>
    public static List<NamedRef> Read(string? stored)
    {
        if (string.IsNullOrEmpty(stored) || stored == "[]") return [];
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(stored.Length));
        try
        {
            var json = new Utf8JsonReader(rented.AsSpan(0, Encoding.UTF8.GetBytes(stored, rented)));
            var artists = new List<NamedRef>(1);
            Expect(ref json, JsonTokenType.StartArray);
            while (json.Read() && json.TokenType == JsonTokenType.StartArray)
            {
                Expect(ref json, JsonTokenType.Number);
                var id = json.GetInt64();
                Expect(ref json, JsonTokenType.String);
                artists.Add(new NamedRef(CatalogIds.Format(CatalogIds.Artist, id), json.GetString()!));
                Expect(ref json, JsonTokenType.EndArray);
            }
            if (json.TokenType != JsonTokenType.EndArray || json.Read()) throw new FormatException($"albums.artist_refs: expected [id, name] pairs and nothing after at byte {json.TokenStartIndex}");
            return artists;
        }
        catch (JsonException e)
        {
            throw new FormatException($"albums.artist_refs: {e.Message}", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void Expect(ref Utf8JsonReader json, JsonTokenType token)
    {
        if (!json.Read() || json.TokenType != token) throw new FormatException($"albums.artist_refs: expected {token} at byte {json.TokenStartIndex}");
    }
}
