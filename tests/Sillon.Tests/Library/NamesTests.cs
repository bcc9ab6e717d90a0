using Sillon.Catalog;
using Sillon.Cli;
using Sillon.Library;

namespace Sillon.Tests.Library;

public sealed class NamesTests
{
    [Theory]
    [InlineData("The Beatles", "the  beatles ")]
    [InlineData("Sigur Rós", "sigur rós")]
    public void Folding_ignores_case_and_spacing(string a, string b) => Assert.Equal(Names.Fold(a), Names.Fold(b));

    [Theory]
    [InlineData("the beatles", "the beatles")]
    [InlineData("  The \t Beatles\n", "the beatles")]
    [InlineData("AC/DC", "ac/dc")]
    [InlineData("Sigur\u00a0Rós", "sigur rós")]
    [InlineData("ÉDITH PIAF", "édith piaf")]
    [InlineData("   ", "")]
    [InlineData("", "")]
    public void Folding_gives_the_lower_case_name_with_single_spaces(string name, string folded) => Assert.Equal(folded, Names.Fold(name));

    [Fact]
    public void Folding_a_long_name_works_past_the_stack_buffer()
    {
        var name = string.Concat(Enumerable.Repeat("Ab  ", 200));
        Assert.Equal(string.Join(' ', Enumerable.Repeat("ab", 200)), Names.Fold(name));
    }

    [Theory]
    [InlineData("The Beatles", "beatles")]
    [InlineData("Beyoncé", "beyonce")]
    [InlineData("Les Négresses Vertes", "negresses vertes")]
    [InlineData("The", "the")]
    [InlineData("A Tribe Called Quest", "tribe called quest")]
    public void Sort_key_drops_articles_and_diacritics(string name, string key) => Assert.Equal(key, Names.SortKey(name));

    [Theory]
    [InlineData("tr-42", "tr", 42L)]
    [InlineData("al-1", "al", 1L)]
    public void Ids_round_trip(string text, string kind, long id)
    {
        Assert.True(CatalogIds.TryParse(text, kind, out var parsed));
        Assert.Equal(id, parsed);
        Assert.Equal(text, CatalogIds.Format(kind, id));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("tr-")]
    [InlineData("tr-0")]
    [InlineData("tr--5")]
    [InlineData("tr-+5")]
    [InlineData("tr-1e3")]
    [InlineData("al-5")]
    [InlineData("tr-99999999999999999999")]
    [InlineData("tr-5 ")]
    public void Bad_ids_do_not_parse(string? text) => Assert.False(CatalogIds.TryParse(text, "tr", out _));

    [Fact]
    public void Progress_bar_shows_rate_and_eta()
    {
        var start = DateTimeOffset.UnixEpoch;
        var p = new ScanProgress(start, full: false);
        p.Found(1000);
        p.WalkDone = true;
        p.Processed(250);
        var line = ProgressBar.Render(p, start.AddSeconds(1), width: 20);
        Assert.StartsWith("[#####...............] 250/1000 files", line);
        Assert.Contains("250 files/s", line);
        Assert.Contains("ETA 00:03", line);
    }
}
