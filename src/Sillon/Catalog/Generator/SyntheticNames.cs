namespace Sillon.Catalog.Generator;

/// <summary>
/// Names for a generated catalog, in the scripts a world catalog holds: Latin with diacritics,
/// CJK, Korean, Cyrillic, Arabic and Greek. Words are combined, so a few hundred words give millions
/// of distinct titles whose prefixes collide the way real ones do ("lo" → love, lost, loin, Lôn…).
/// </summary>
public static class SyntheticNames
{
    // Shares of the scripts, roughly a world streaming catalog's: mostly Latin-script languages.
    private static readonly (string[] Words, int Share, string Joiner)[] Scripts =
    [
        (Split("love night heart fire dream light dance city rain blue gold summer river shadow stone wild road home sky ocean time girl boy money "
            + "ghost echo silver midnight sun moon star storm bright lost young forever tonight paradise electric velvet honey glass broken sweet "
            + "cœur été nuit rêve lumière fenêtre soleil mémoire étoile château garçon fête île noël forêt à côté où déjà "
            + "corazón canción mañana niña señor sueño camión jardín fuego vida noche amor baile playa luna tú más "
            + "über schön grün straße mädchen märchen könig träume nächte wölfe "
            + "ångest sjö björk fjäll øya kærlighed sød hjärta ljós þú ísland"), 55, " "),
        (Split("東京 夜 花 月 雨 風 空 夢 愛 光 海 星 心 桜 青 春 夏 秋 冬 道 君 僕 恋 歌 さくら ありがとう 未来 世界 約束 北京 上海 爱 你 我 的 天 梦 城市 朋友 故事"), 15, ""),
        (Split("사랑 밤 꿈 별 하늘 바다 너 나 우리 노래 봄 여름 가을 겨울 서울 마음 시간 빛"), 7, " "),
        (Split("любовь ночь звезда сердце город река зима лето мечта ветер солнце дорога песня море небо тишина москва весна огонь жизнь"), 10, " "),
        (Split("حب ليل قلب نجمة قمر بحر حلم سماء طريق وطن روح شمس نور عيون حياة أمل غناء مدينة"), 8, " "),
        (Split("αγάπη νύχτα θάλασσα ήλιος φεγγάρι καρδιά όνειρο ουρανός δρόμος τραγούδι"), 5, " "),
    ];

    private static readonly int TotalShare = Scripts.Sum(s => s.Share);

    public static readonly string[] Genres =
    [
        "Pop", "Rock", "Hip-Hop", "Electronic", "Jazz", "Classical", "R&B", "Soul", "Country", "Folk", "Metal", "Punk", "Reggae",
        "Blues", "Latin", "K-Pop", "J-Pop", "Chanson", "Dance", "House", "Techno", "Ambient", "Indie", "Alternative", "Funk",
        "Disco", "Soundtrack", "World", "Afrobeat", "Reggaeton", "Salsa", "Bossa Nova", "Fado", "Flamenco", "Gospel", "Opera",
        "Trap", "Drum & Bass", "Dubstep", "Trance", "Lo-Fi", "Singer-Songwriter", "Variété française", "Rai", "Arabic Pop",
        "Mandopop", "Cantopop", "Russian Pop", "Schlager", "Grunge", "Ska", "Emo", "Hardcore", "Experimental", "New Age",
        "Children's Music", "Comedy", "Spoken Word", "Musique concrète", "Zouk",
    ];

    private static string[] Split(string words) => words.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A name of 1 to <paramref name="maxWords"/> words, all in one script (titles rarely mix scripts).</summary>
    public static string Name(Random random, int maxWords)
    {
        var pick = random.Next(TotalShare);
        var (words, _, joiner) = Scripts[0];
        foreach (var script in Scripts)
        {
            if (pick < script.Share) { (words, _, joiner) = script; break; }
            pick -= script.Share;
        }
        var count = 1 + random.Next(maxWords);
        if (count == 1) return Capitalise(words[random.Next(words.Length)]);
        var parts = new string[count];
        for (var i = 0; i < count; i++) parts[i] = words[random.Next(words.Length)];
        parts[0] = Capitalise(parts[0]);
        return string.Join(joiner, parts);
    }

    public static string ArtistName(Random random) => random.Next(20) switch
    {
        0 => "The " + Name(random, 2),
        1 => Name(random, 1) + " & " + Name(random, 1),
        2 => "DJ " + Name(random, 1),
        _ => Name(random, 3),
    };

    private static string Capitalise(string word) =>
        word.Length > 0 && char.IsLower(word[0]) ? char.ToUpperInvariant(word[0]) + word[1..] : word;
}
