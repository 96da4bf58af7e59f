from rag.text import contains, match_key, normalize, script_of, to_traditional, tokens, words


def test_normalize_is_nfkc_then_t2s():
    assert normalize("東莞市質量強市（２０２４）") == "东莞市质量强市(2024)"


def test_match_key_follows_the_contract():
    assert match_key(" 國家標準 300 項以上 ") == "国家标准300项以上"
    assert match_key("ABC") == "abc"
    assert contains("新增主导或参与制修订国际标准 9 项以上", "国际标准9项")
    assert contains("到2025年設立10000名以上首席質量官", "设立10000名")


def test_script_detection():
    assert script_of("東莞提升企業質量管理能力由哪個部門負責？") == "traditional"
    assert script_of("东莞提升企业质量管理能力由哪个部门负责？") == "simplified"
    assert script_of("Which department is responsible?") == "english"


def test_round_trip_to_traditional():
    assert to_traditional("质量强市") == "質量強市"


def test_tokens_drop_punctuation_and_function_words_but_keep_content():
    toks = tokens("東莞的企业质量贷是什么？")
    assert "东莞" in toks and "企业" in toks
    assert "的" not in toks and "？" not in toks and "?" not in toks


def test_words_are_whole_where_tokens_add_their_pieces():
    assert words("加强宣传教育") == ["加强", "宣传教育"]
    assert {"宣传", "教育", "宣传教育"} <= set(tokens("加强宣传教育"))
