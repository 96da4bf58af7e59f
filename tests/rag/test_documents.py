import pytest

from rag.documents import DocumentError, DocumentInfo, decode_bytes, load_catalog, read_text

SAMPLE = "关于质量工作的实施方案\n一、总体要求\n（一）提升产品质量。支持企业利用品牌资产质押融资。\n"


def test_catalog_lists_the_five_documents_with_their_facts(settings):
    catalog = {d.doc_id: d for d in load_catalog(settings.data_dir)}
    assert len(catalog) == 5
    dg = catalog["dongguan-2024-plan"]
    assert dg.doc_number == "東府辦〔2024〕3號" and dg.date == "2024-01-26" and dg.script == "traditional"
    assert catalog["dongguan-2023-draft"].status == "superseded" and catalog["dongguan-2023-draft"].is_draft
    assert catalog["yuancheng-plan"].region == "河源市源城区"
    assert {d.region for d in catalog.values()} == {"广东省", "东莞市", "韶关市", "河源市源城区"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "big5"])
def test_text_files_decode_in_every_supported_encoding(tmp_path, encoding):
    text = "東莞市質量強市建設實施方案\n一、總體要求\n（一）指導思想。" if encoding == "big5" else SAMPLE
    path = tmp_path / "doc.txt"
    path.write_bytes(text.encode(encoding))
    assert read_text(path).strip() == text.strip()


def test_empty_file_is_rejected(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"  \n")
    with pytest.raises(DocumentError, match="empty.txt: file is empty"):
        read_text(tmp_path / "empty.txt")


def test_binary_junk_is_rejected(tmp_path):
    (tmp_path / "junk.txt").write_bytes(bytes(range(256)) * 20)
    with pytest.raises(DocumentError, match="junk.txt"):
        read_text(tmp_path / "junk.txt")


def test_undecodable_bytes_are_rejected():
    with pytest.raises(DocumentError, match="cannot decode|binary"):
        decode_bytes(b"\xff\xfe\xfa\x80\x81" * 50, "bad.txt")


def test_unsupported_suffix_is_rejected(tmp_path):
    (tmp_path / "a.xlsx").write_bytes(b"x")
    with pytest.raises(DocumentError, match="unsupported file type .xlsx"):
        read_text(tmp_path / "a.xlsx")


def test_html_is_reduced_to_its_paragraph_text(tmp_path):
    html = (
        "<html><head><style>p{}</style></head><body><h1>质量方案</h1><p>一、总体要求</p>"
        "<p>（一）提升质量。<b>支持</b>企业融资。</p><script>alert(1)</script></body></html>"
    )
    (tmp_path / "a.html").write_text(html, encoding="utf-8")
    text = read_text(tmp_path / "a.html")
    assert "（一）提升质量。支持企业融资。" in text and "alert" not in text


def test_catalog_entry_requires_title_and_region():
    with pytest.raises(DocumentError, match="missing required field 'region'"):
        DocumentInfo(doc_id="x-doc", file="x.txt", title="某方案", region="")


@pytest.mark.parametrize(
    ("title", "problem"),
    [(" 东莞", "surrounding spaces"), ("莞", "2+ characters"), ("源城区方案", "part of"), ("质量强区", "part of")],
)
def test_a_prompt_title_must_stand_for_one_document(title, problem):
    from rag.documents import prompt_title_problem

    yuancheng = DocumentInfo("yc", "y.txt", "源城区质量强区方案", "源城区", prompt_title="源城区方案")
    dongguan = DocumentInfo("dg", "d.txt", "東莞市質量強市建設實施方案", "东莞市", prompt_title=title)
    assert prompt_title_problem([yuancheng]) == ""
    assert problem in prompt_title_problem([yuancheng, dongguan])
