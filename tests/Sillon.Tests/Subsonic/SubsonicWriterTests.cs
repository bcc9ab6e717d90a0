using System.Globalization;
using System.Text;
using System.Text.Json;
using Sillon.Subsonic;

namespace Sillon.Tests.Subsonic;

/// <summary>
/// The writer's scalars, each written by a compiled method for its own type: what a client reads
/// must be what the value is, in both formats, for every type a response record holds.
/// </summary>
public sealed class SubsonicWriterTests
{
    public sealed record Scalars
    {
        public string? Text { get; init; }
        public int Count { get; init; }
        public int? MaybeCount { get; init; }
        public long Size { get; init; }
        public long? MaybeSize { get; init; }
        public bool Flag { get; init; }
        public bool? MaybeFlag { get; init; }
        public double Gain { get; init; }
        public double? MaybeGain { get; init; }
        public float Peak { get; init; }
        public DateTimeOffset Created { get; init; }
        public DateTimeOffset? Starred { get; init; }
    }

    public static TheoryData<string> Instants => new()
    {
        "0001-01-01T00:00:00.0000000+00:00", "1999-12-31T23:59:59.9999999+00:00", "2026-11-28T14:05:09.0070000+00:00",
        "2026-03-01T00:30:00.1230000+05:30", "2026-01-01T01:02:03.4560000-11:00", "9999-12-31T23:59:59.9990000+00:00",
    };

    [Theory]
    [MemberData(nameof(Instants))]
    public void Instants_are_written_in_utc_to_the_millisecond_as_the_format_string_writes_them(string instant)
    {
        var d = DateTimeOffset.Parse(instant, CultureInfo.InvariantCulture);
        var expected = d.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        Assert.Equal(expected, SubsonicWriter.Iso(d));

        var json = Json(new Scalars { Created = d, Starred = d });
        Assert.Equal(expected, json.GetProperty("created").GetString());
        Assert.Equal(expected, json.GetProperty("starred").GetString());
        Assert.Contains($" created=\"{expected}\" starred=\"{expected}\"", SubsonicWriter.XmlElement("x", new Scalars { Created = d, Starred = d }));
    }

    [Fact]
    public void Absent_values_are_left_out_and_present_ones_kept_even_when_zero_or_false()
    {
        var json = Json(new Scalars { MaybeCount = 0, MaybeFlag = false, MaybeSize = null });
        Assert.Equal(0, json.GetProperty("maybeCount").GetInt32());
        Assert.False(json.GetProperty("maybeFlag").GetBoolean());
        Assert.False(json.TryGetProperty("maybeSize", out _));
        Assert.False(json.TryGetProperty("text", out _));
        Assert.False(json.TryGetProperty("starred", out _));
        Assert.False(json.TryGetProperty("maybeGain", out _));

        var xml = SubsonicWriter.XmlElement("x", new Scalars { MaybeCount = 0, MaybeFlag = false });
        Assert.Equal("<x count=\"0\" maybeCount=\"0\" size=\"0\" flag=\"false\" maybeFlag=\"false\" gain=\"0\" peak=\"0\" created=\"0001-01-01T00:00:00.000Z\"/>", xml);
    }

    [Fact]
    public void Numbers_keep_their_full_value_and_the_invariant_culture_whatever_the_threads_culture()
    {
        var culture = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("fr-FR") { NumberFormat = { NegativeSign = "\u2212" } };
            var value = new Scalars { Count = int.MinValue, Size = long.MaxValue, MaybeSize = -5, Gain = -6.123456789012345, MaybeGain = 1e-300, Peak = 0.987654f };
            var json = Json(value);
            Assert.Equal(int.MinValue, json.GetProperty("count").GetInt32());
            Assert.Equal(long.MaxValue, json.GetProperty("size").GetInt64());
            Assert.Equal(-5, json.GetProperty("maybeSize").GetInt64());
            Assert.Equal(-6.123456789012345, json.GetProperty("gain").GetDouble());
            Assert.Equal(1e-300, json.GetProperty("maybeGain").GetDouble());
            Assert.Equal(0.987654f, json.GetProperty("peak").GetSingle());

            var xml = SubsonicWriter.XmlElement("x", value);
            Assert.Contains(" count=\"-2147483648\"", xml);
            Assert.Contains(" size=\"9223372036854775807\" maybeSize=\"-5\"", xml);
            Assert.Contains(" gain=\"-6.123456789012345\" maybeGain=\"1E-300\" peak=\"0.987654\"", xml);
        }
        finally { CultureInfo.CurrentCulture = culture; }
    }

    [Fact]
    public void Numbers_json_cannot_hold_are_written_as_zero()
    {
        var json = Json(new Scalars { Gain = double.NaN, MaybeGain = double.PositiveInfinity, Peak = float.NegativeInfinity });
        Assert.Equal(0, json.GetProperty("gain").GetDouble());
        Assert.Equal(0, json.GetProperty("maybeGain").GetDouble());
        Assert.Equal(0, json.GetProperty("peak").GetSingle());
    }

    [Fact]
    public void Text_is_escaped_for_each_format_and_control_characters_xml_cannot_carry_are_dropped()
    {
        const string text = "Björk & <friends> \"live\" 'at' 東京 🎸\ttab\u0001";
        Assert.Equal(text, Json(new Scalars { Text = text }).GetProperty("text").GetString());
        Assert.Contains(" text=\"Björk &amp; &lt;friends&gt; &quot;live&quot; &apos;at&apos; 東京 🎸&#x9;tab\"", SubsonicWriter.XmlElement("x", new Scalars { Text = text }));
    }

    private static JsonElement Json(object value) => JsonDocument.Parse(SubsonicWriter.JsonElement(value)).RootElement;
}
