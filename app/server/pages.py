"""The registry of the app's pages (navigation, home page cards, page routes) and the recitation's lesson path."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One page of the app, in the order of the recitation's slides."""

    slug: str
    title: str
    summary: str
    ready: bool = False

    @property
    def path(self) -> str:
        """URL path of the page."""
        return f"/{self.slug}"

    @property
    def template(self) -> str:
        """Template rendering the page once it is ready."""
        return f"{self.slug.replace('-', '_')}.html"


PAGES: tuple[Page, ...] = (
    Page(
        "neuron",
        "The artificial neuron",
        "Move the weights and the bias of one neuron, h(x) = g(b + Σ wᵢxᵢ), and see how the activation g "
        "sets the range of its output and the bias shifts the position of the ridge.",
        ready=True,
    ),
    Page(
        "xor",
        "XOR and backpropagation",
        "Train the recitation's 2-2-1 network on XOR one step at a time, with every chain-rule term of the "
        "derivation, from ∂l/∂ŷ back to ∂l/∂w₁, computed and shown as it flows backwards.",
        ready=True,
    ),
    Page(
        "kernels",
        "Kernels and the SVM",
        "Lift the points with a feature map φ until a plane separates them, train a kernel SVM on points you "
        "click, and watch the 2-2-1 network's hidden layer learn a feature map of its own on the same points.",
        ready=True,
    ),
    Page(
        "why-backprop",
        "Why backpropagation",
        "Count the derivative terms layer by layer: going backwards reuses what the layer above carried over "
        "and grows linearly with the weights, going forwards grows roughly quadratically.",
        ready=True,
    ),
    Page(
        "conv",
        "Convolution walkthrough",
        "Slide a 3×3 kernel across the slide's 7×7 image window by window, and see how kernel size, stride "
        "and padding (k, s, p) set the output size and each unit's receptive field.",
        ready=True,
    ),
    Page(
        "lenet",
        "LeNet in action",
        "Draw a digit and watch LeNet-5 classify it, with the feature maps of every layer computed live by "
        "the NumPy network on the server.",
        ready=True,
    ),
    Page(
        "classroom",
        "Classroom",
        "Open a room the whole class joins with a short code, so every student's screen follows the "
        "teacher's demo live and can then try it on their own.",
        ready=True,
    ),
)


@dataclass(frozen=True)
class LessonStep:
    """One step of the lesson path: a page, and optionally a query that sets it up and an anchor to scroll to."""

    title: str
    path: str
    query: str = ""
    anchor: str = ""

    @property
    def href(self) -> str:
        """The link that opens the step."""
        return self.path + (f"?{self.query}" if self.query else "") + (f"#{self.anchor}" if self.anchor else "")


# The recitation in its order, so a teacher can run it from the app: the home page lists it and presentation
# mode's previous/next links walk it (static/js/lib/lesson.js finds the current step from the URL).
LESSON: tuple[LessonStep, ...] = (
    LessonStep("The artificial neuron", "/neuron"),
    LessonStep("XOR: how many layers?", "/xor"),
    LessonStep("Backpropagation step by step", "/xor", anchor="derivation"),
    LessonStep("Kernels: a feature map makes XOR separable", "/kernels"),
    LessonStep("Why backpropagation", "/why-backprop"),
    LessonStep("Convolution arithmetic: k, s, p", "/conv"),
    LessonStep("Stride 2: the 7×7 image gives 3×3", "/conv", query="s=2"),
    LessonStep("7×7 input volume → 3×3 output volume", "/conv", query="input=volume&n=5&c=3&kernel=volume&f=2&s=2&p=1"),
    LessonStep("Pooling", "/conv", query="stage2=max&k2=2&s2=2"),
    LessonStep("LeNet in action", "/lenet"),
    LessonStep("Backpropagation through LeNet-5", "/lenet", query="example=6&backward=1"),
    LessonStep(
        "The input gradient: saliency, adversarial examples, dreams",
        "/lenet",
        query="example=6",
        anchor="input-gradient",
    ),
)
