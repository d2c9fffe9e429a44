"""The lesson path: the recitation's order, every step on a ready page, listed on the home page and handed to
presentation mode's script."""

import html
import json
import re
from urllib.parse import parse_qs

from fastapi.testclient import TestClient

from app.server.pages import LESSON, PAGES

# The recitation's order: neuron, XOR, the derivation, kernels (XOR's question answered by a feature map), why
# backpropagation, convolution arithmetic, its stride-2 example, the 7×7 input volume → 3×3 output volume, pooling,
# LeNet, then backpropagation through LeNet (an example 6 on the pad, Backward mode on) and the input gradient's three
# uses (the same 6, its own stage).
VOLUME = "input=volume&n=5&c=3&kernel=volume&f=2&s=2&p=1"
RECITATION = [
    ("/neuron", "", ""),
    ("/xor", "", ""),
    ("/xor", "", "derivation"),
    ("/kernels", "", ""),
    ("/why-backprop", "", ""),
    ("/conv", "", ""),
    ("/conv", "s=2", ""),
    ("/conv", VOLUME, ""),
    ("/conv", "stage2=max&k2=2&s2=2", ""),
    ("/lenet", "", ""),
    ("/lenet", "example=6&backward=1", ""),
    ("/lenet", "example=6", "input-gradient"),
]


def test_lesson_follows_the_recitations_order() -> None:
    assert [(step.path, step.query, step.anchor) for step in LESSON] == RECITATION
    assert [step.title for step in LESSON][2] == "Backpropagation step by step"
    assert LESSON[8].title == "Pooling"


def test_the_slides_stride_2_and_volume_examples_are_stops_after_the_arithmetic() -> None:
    titles = [step.title for step in LESSON]
    start = titles.index("Convolution arithmetic: k, s, p")
    assert titles[start + 1 : start + 3] == [
        "Stride 2: the 7×7 image gives 3×3",
        "7×7 input volume → 3×3 output volume",
    ]
    stride2, volume = LESSON[start + 1 : start + 3]
    assert stride2.href == "/conv?s=2"
    assert parse_qs(volume.query) == {
        "input": ["volume"],
        "n": ["5"],
        "c": ["3"],
        "kernel": ["volume"],
        "f": ["2"],
        "s": ["2"],
        "p": ["1"],
    }


def test_every_step_is_on_a_ready_page_of_the_registry() -> None:
    ready = {page.path for page in PAGES if page.ready}
    missing = [step.title for step in LESSON if step.path not in ready]
    assert missing == []


def test_every_steps_link_opens_its_page(client: TestClient) -> None:
    titles = {page.path: page.title for page in PAGES}
    for step in LESSON:
        response = client.get(step.href.split("#")[0])
        assert response.status_code == 200, step.href
        assert f"<h1>{html.escape(titles[step.path], quote=False)}</h1>" in response.text


def test_every_steps_anchor_exists_on_its_page(client: TestClient) -> None:
    anchored = [step for step in LESSON if step.anchor]
    assert [step.href for step in anchored] == ["/xor#derivation", "/lenet?example=6#input-gradient"]
    for step in anchored:
        assert f'id="{step.anchor}"' in client.get(step.path).text


def test_the_pooling_step_sets_max_pooling_with_a_2x2_window(client: TestClient) -> None:
    pooling = next(step for step in LESSON if step.title == "Pooling")
    assert pooling.href == "/conv?stage2=max&k2=2&s2=2"
    assert parse_qs(pooling.query) == {"stage2": ["max"], "k2": ["2"], "s2": ["2"]}
    assert '<option value="max">max pooling</option>' in client.get("/conv").text


def test_the_lenet_backward_and_input_gradient_stops_follow_lenet_in_action(client: TestClient) -> None:
    titles = [step.title for step in LESSON]
    start = titles.index("LeNet in action")
    assert titles[start + 1 :] == [
        "Backpropagation through LeNet-5",
        "The input gradient: saliency, adversarial examples, dreams",
    ]
    backward, gradient = LESSON[start + 1 :]
    assert parse_qs(backward.query) == {"example": ["6"], "backward": ["1"]}
    assert gradient.href == "/lenet?example=6#input-gradient"
    page = client.get("/lenet").text
    assert 'data-testid="backward-toggle"' in page and 'id="input-gradient"' in page


def test_home_lists_the_steps_in_order_as_links(client: TestClient) -> None:
    page = client.get("/").text
    listing = re.search(r'<ol[^>]*data-testid="lesson-path"[^>]*>(.*?)</ol>', page, re.S)
    assert listing is not None
    links = re.findall(r'<a href="([^"]+)" data-lesson-step="(\d+)">([^<]+)</a>', listing.group(1))
    assert [(html.unescape(href), int(index), html.unescape(title)) for href, index, title in links] == [
        (step.href, i, step.title) for i, step in enumerate(LESSON)
    ]
    assert 'href="/neuron?present=1"' in page


def test_every_page_hands_the_lesson_to_presentation_mode(client: TestClient) -> None:
    for path in ["/", *(page.path for page in PAGES)]:
        page = client.get(path).text
        found = re.search(r"data-lesson='([^']*)'", page)
        assert found is not None, path
        steps = json.loads(html.unescape(found.group(1)))
        assert [(s["title"], s["path"], s["query"], s["anchor"], s["href"]) for s in steps] == [
            (step.title, step.path, step.query, step.anchor, step.href) for step in LESSON
        ]
        assert 'data-testid="present-toggle"' in page
        assert 'src="/static/js/lib/present.js"' in page and 'src="/static/js/lib/present-boot.js"' in page


def test_the_api_reference_stays_free_of_scripts_and_presentation_controls(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "<script" not in page
    assert "present-toggle" not in page and "data-lesson" not in page
