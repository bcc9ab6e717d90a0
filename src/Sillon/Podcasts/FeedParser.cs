using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Sillon.Podcasts;

public sealed record ParsedEpisode(string Guid, string Title, string? Description, DateTimeOffset? PublishedAt, string EnclosureUrl,
    string? EnclosureType, long? EnclosureLength, double? Duration);

public sealed record ParsedFeed(string Title, string? Description, string? Author, string? SiteUrl, string? ImageUrl, IReadOnlyList<ParsedEpisode> Episodes);

/// <summary>
/// RSS 2.0 and Atom, with the iTunes podcast tags. A DOCTYPE is refused outright (no DTD, no
/// external entity, no entity expansion: XXE and "billion laughs" end as a plain error), and no
/// resolver is set, so parsing never opens a file or a URL.
/// </summary>
public static class FeedParser
{
    private static readonly XNamespace Itunes = "http://www.itunes.com/dtds/podcast-1.0.dtd";
    private static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";
    private static readonly XNamespace Content = "http://purl.org/rss/1.0/modules/content/";
    private const int MaxText = 20_000;

    public static ParsedFeed Parse(byte[] bytes, int maxEpisodes)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 0,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };
        XDocument doc;
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(bytes), settings);
            doc = XDocument.Load(reader);
        }
        catch (XmlException e) when (e.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase))
        {
            throw new PodcastException("the feed declares a DTD, which is refused (entities could read files or expand without end)", e);
        }
        catch (XmlException e) { throw new PodcastException($"the feed is not well-formed XML: {e.Message}", e); }

        var root = doc.Root!;
        if (root.Name.LocalName == "rss" && root.Element("channel") is { } channel) return Rss(channel, maxEpisodes);
        if (root.Name == Atom + "feed") return AtomFeed(root, maxEpisodes);
        throw new PodcastException($"the document is neither an RSS 2.0 nor an Atom feed (its root is <{root.Name.LocalName}>)");
    }

    private static ParsedFeed Rss(XElement channel, int maxEpisodes)
    {
        var episodes = new List<ParsedEpisode>();
        foreach (var item in channel.Elements("item"))
        {
            if (episodes.Count >= maxEpisodes) break;
            var enclosure = item.Element("enclosure");
            var url = Text(enclosure?.Attribute("url")?.Value);
            if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out _)) continue; // not an episode we could play
            episodes.Add(new ParsedEpisode(
                Text(item.Element("guid")?.Value) ?? url,
                Text(item.Element("title")?.Value) ?? Text(item.Element(Itunes + "title")?.Value) ?? "(untitled)",
                Text(item.Element(Itunes + "summary")?.Value) ?? Text(item.Element("description")?.Value) ?? Text(item.Element(Content + "encoded")?.Value),
                Date(item.Element("pubDate")?.Value),
                url, Text(enclosure!.Attribute("type")?.Value), Length(enclosure.Attribute("length")?.Value),
                Duration(item.Element(Itunes + "duration")?.Value)));
        }
        return new ParsedFeed(
            Text(channel.Element("title")?.Value) ?? "(untitled podcast)",
            Text(channel.Element("description")?.Value) ?? Text(channel.Element(Itunes + "summary")?.Value),
            Text(channel.Element(Itunes + "author")?.Value),
            Text(channel.Element("link")?.Value),
            Text(channel.Element(Itunes + "image")?.Attribute("href")?.Value) ?? Text(channel.Element("image")?.Element("url")?.Value),
            episodes);
    }

    private static ParsedFeed AtomFeed(XElement feed, int maxEpisodes)
    {
        var episodes = new List<ParsedEpisode>();
        foreach (var entry in feed.Elements(Atom + "entry"))
        {
            if (episodes.Count >= maxEpisodes) break;
            var enclosure = entry.Elements(Atom + "link").FirstOrDefault(l => (string?)l.Attribute("rel") == "enclosure");
            var url = Text(enclosure?.Attribute("href")?.Value);
            if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out _)) continue;
            episodes.Add(new ParsedEpisode(
                Text(entry.Element(Atom + "id")?.Value) ?? url,
                Text(entry.Element(Atom + "title")?.Value) ?? "(untitled)",
                Text(entry.Element(Atom + "summary")?.Value) ?? Text(entry.Element(Atom + "content")?.Value),
                Date(entry.Element(Atom + "published")?.Value) ?? Date(entry.Element(Atom + "updated")?.Value),
                url, Text(enclosure!.Attribute("type")?.Value), Length(enclosure.Attribute("length")?.Value),
                Duration(entry.Element(Itunes + "duration")?.Value)));
        }
        return new ParsedFeed(
            Text(feed.Element(Atom + "title")?.Value) ?? "(untitled podcast)",
            Text(feed.Element(Atom + "subtitle")?.Value),
            Text(feed.Element(Atom + "author")?.Element(Atom + "name")?.Value) ?? Text(feed.Element(Itunes + "author")?.Value),
            Text(feed.Elements(Atom + "link").FirstOrDefault(l => (string?)l.Attribute("rel") is null or "alternate")?.Attribute("href")?.Value),
            Text(feed.Element(Itunes + "image")?.Attribute("href")?.Value) ?? Text(feed.Element(Atom + "logo")?.Value) ?? Text(feed.Element(Atom + "icon")?.Value),
            episodes);
    }

    private static string? Text(string? s)
    {
        s = s?.Trim();
        return string.IsNullOrEmpty(s) ? null : s.Length > MaxText ? s[..MaxText] : s;
    }

    private static long? Length(string? s) => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;

    /// <summary>RFC 822 (RSS) or ISO 8601 (Atom). RSS dates in the wild often carry zone names .NET does not know.</summary>
    public static DateTimeOffset? Date(string? s)
    {
        s = s?.Trim();
        if (string.IsNullOrEmpty(s)) return null;
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d)) return d;
        var zones = new Dictionary<string, string> { ["EST"] = "-0500", ["EDT"] = "-0400", ["CST"] = "-0600", ["CDT"] = "-0500", ["MST"] = "-0700", ["MDT"] = "-0600", ["PST"] = "-0800", ["PDT"] = "-0700", ["UT"] = "+0000", ["Z"] = "+0000" };
        var parts = s.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length > 1 && zones.TryGetValue(parts[^1], out var offset)) parts[^1] = offset;
        var joined = string.Join(' ', parts.SkipWhile(p => p.EndsWith(',')));
        return DateTimeOffset.TryParseExact(joined, ["d MMM yyyy HH:mm:ss zzz", "d MMM yyyy HH:mm zzz", "d MMM yyyy HH:mm:ss zzzz"], CultureInfo.InvariantCulture,
            DateTimeStyles.AllowWhiteSpaces, out d) ? d : DateTimeOffset.TryParse(joined, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out d) ? d : null;
    }

    /// <summary>itunes:duration: seconds, MM:SS or HH:MM:SS.</summary>
    public static double? Duration(string? s)
    {
        s = s?.Trim();
        if (string.IsNullOrEmpty(s)) return null;
        double total = 0;
        foreach (var part in s.Split(':'))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < 0) return null;
            total = total * 60 + v;
        }
        return total is > 0 and < 1e7 ? total : null;
    }
}
