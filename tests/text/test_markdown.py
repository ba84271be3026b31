from cop.text.markdown import html_to_text, render_markdown, sanitise_html
from cop.text.slugs import is_slug, slugify


def test_markdown_renders_common_syntax():
    html = str(render_markdown("# Title\n\nSome **bold** and a [link](https://example.org).\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.org" rel="nofollow noopener ugc">link</a>' in html
    assert "<table>" in html and "<td>1</td>" in html


def test_markdown_never_passes_script_or_raw_html_through():
    html = str(render_markdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n[x](javascript:alert(3))'))
    assert "<script" not in html
    assert "<img" not in html
    assert "href=\"javascript" not in html  # the link is refused and left as plain text
    assert "&lt;script&gt;" in html  # shown as text, not run


def test_markdown_of_nothing_is_empty():
    assert str(render_markdown("")) == ""
    assert str(render_markdown(None)) == ""


def test_slugify():
    assert slugify("Café Policy & Data") == "cafe-policy-data"
    assert slugify("  X/Twitter ") == "x-twitter"
    assert is_slug("leeds-city-council")
    assert not is_slug("Leeds City")
    assert not is_slug("double--hyphen")


def test_members_headings_sit_below_the_page_s_own():
    html = str(render_markdown("# One\n\n## Two\n\n### Three\n\n#### Four\n\n###### Six"))
    assert "<h3>One</h3>" in html and "<h4>Two</h4>" in html and "<h5>Three</h5>" in html
    assert "<h6>Four</h6>" in html and "<h6>Six</h6>" in html
    assert "<h1" not in html and "<h2" not in html


def test_rendered_markdown_on_a_page_is_wrapped_for_the_design_system(client, make_user):
    user_id = make_user(bio="## My work\n\n- a [link](https://example.org)")
    page = client.get(f"/people/{user_id}").get_data(as_text=True)
    assert '<div class="govuk-body cop-prose"><h4>My work</h4>' in page.replace("\n", "")


def test_html_from_elsewhere_keeps_its_sections_and_loses_what_runs():
    clean = str(sanitise_html('<h1>Title</h1><h2 onclick="x()">The challenge</h2><p>Closures<script>steal()</script>'
                              '<a href="javascript:alert(1)">here</a> <img src="https://x.example/t.gif"></p>'))
    assert clean.startswith("<h2>Title</h2><h2>The challenge</h2>")
    assert "script" not in clean and "steal" not in clean and "javascript" not in clean
    assert "onclick" not in clean and "<img" not in clean


def test_html_from_elsewhere_as_text_keeps_blocks_apart_and_links_readable():
    text = html_to_text('<h2>The challenge</h2><p>Closures <a href="https://x.example/">surprised</a> drivers.</p>'
                        '<ul><li>One</li><li>Two</li></ul>')
    assert text == "The challenge\n\nClosures surprised (https://x.example/) drivers.\n\n- One\n\n- Two"
