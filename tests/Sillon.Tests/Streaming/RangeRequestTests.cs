using Sillon.Streaming;

namespace Sillon.Tests.Streaming;

public sealed class RangeRequestTests
{
    [Theory]
    [InlineData("bytes=0-99", 1000, "0-99")]
    [InlineData("bytes=100-", 1000, "100-999")]
    [InlineData("bytes=-100", 1000, "900-999")]
    [InlineData("bytes=-5000", 1000, "0-999")]
    [InlineData("bytes=900-5000", 1000, "900-999")]
    [InlineData("bytes=0-0", 1000, "0-0")]
    [InlineData("bytes=0-9,20-29", 1000, "0-9;20-29")]
    [InlineData("bytes=0-9,5-15", 1000, "0-15")]
    [InlineData("bytes=20-29,0-9", 1000, "0-9;20-29")]
    [InlineData("BYTES=0-1", 1000, "0-1")]
    [InlineData("bytes=0-9, 2000-3000", 1000, "0-9")]
    public void Satisfiable_ranges_are_parsed_and_clamped(string header, long length, string expected)
    {
        var (outcome, ranges) = RangeRequest.Parse(header, length);
        Assert.Equal(RangeRequest.Outcome.Satisfiable, outcome);
        Assert.Equal(expected, string.Join(';', ranges.Select(r => $"{r.Start}-{r.End}")));
    }

    [Theory]
    [InlineData("bytes=1000-", 1000)]
    [InlineData("bytes=5000-6000", 1000)]
    [InlineData("bytes=-0", 1000)]
    [InlineData("bytes=0-10", 0)]
    public void Ranges_past_the_end_are_unsatisfiable(string header, long length) =>
        Assert.Equal(RangeRequest.Outcome.Unsatisfiable, RangeRequest.Parse(header, length).Outcome);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("items=0-10")]
    [InlineData("bytes=abc-def")]
    [InlineData("bytes=10-5")]
    [InlineData("bytes=5")]
    [InlineData("bytes=-")]
    [InlineData("bytes=99999999999999999999999-")]
    [InlineData("bytes=0-1,2-3,4-5,6-7,8-9,10-11,12-13,14-15,16-17,18-19,20-21,22-23,24-25,26-27,28-29,30-31,32-33")]
    public void Malformed_or_abusive_headers_are_ignored(string? header) =>
        Assert.Equal(RangeRequest.Outcome.None, RangeRequest.Parse(header, 1000).Outcome);
}
