"""intergeneval-open-v1 source: human–object scenarios (written for this project).

Each entry is turned into a suite scenario by `intergeneval.suites.authoring`; the clause grammar of
`before`, `steps` and `outcome` is described in `intergeneval.questions`.
"""

# ruff: noqa: E501  (scenario text reads better unwrapped at the margin)

SCENARIOS = [
    # ------------------------------------------------------------------------------------------- contact
    dict(
        id="obj-contact-01", type="contact", pairing="human-object",
        objects=[("man", "man in a grey hoodie"), ("refrigerator", "white two-door refrigerator")],
        image="A bright kitchen. A man in a grey hoodie stands half a metre in front of a closed white "
              "two-door refrigerator, arms relaxed at his sides, looking at it.",
        video="A man in a grey hoodie walks up to a white two-door refrigerator in a bright kitchen, grips "
              "the handle of the left door and pulls it wide open, revealing lit shelves inside.",
        subject=1, object=2, action="opens the left door of {2}", passive="opened",
        before="{1}: stand in front of {2} with both hands at his sides",
        steps=["{1}: reach a hand toward the handle of {2}", "{1}: grip the handle of {2}",
               "{1}: pull the handle of {2} toward himself", "the left door of {2}: be swinging open"],
        outcome="the left door of {2}: be wide open",
        contact="high", motion="medium",
    ),
    dict(
        id="obj-contact-02", type="contact", pairing="human-object",
        objects=[("woman", "woman in a green raincoat"), ("door", "dark wooden front door")],
        image="A porch seen from the side. A woman in a green raincoat stands facing a closed dark wooden "
              "front door, her right hand lowered.",
        video="On a quiet porch, a woman in a green raincoat raises her right fist and knocks three times "
              "on a dark wooden front door, then lowers her hand and waits.",
        subject=1, object=2, action="knocks on {2}", passive="knocked on",
        before="{1}: stand facing {2} with her right hand lowered",
        steps=["{1}: raise a fist toward {2}", "the knuckles of {1}: touch the surface of {2}",
               "{1}: pull the fist back and tap {2} again", "{1}: lower her hand away from {2}"],
        outcome="{2}: be still closed in front of {1}",
        contact="medium", motion="low",
    ),
    dict(
        id="obj-contact-03", type="contact", pairing="human-object",
        objects=[("girl", "girl in a yellow dress"), ("piano", "black upright piano")],
        image="A living room with a black upright piano against the wall. A girl in a yellow dress sits on "
              "the piano bench with her hands resting on her lap; the key lid is open.",
        video="A girl in a yellow dress sitting at a black upright piano lifts her hands from her lap, "
              "places her fingers on the keys and plays a short melody, her fingers pressing several keys.",
        subject=1, object=2, action="plays {2}", passive="played",
        before="{1}: sit at {2} with her hands in her lap",
        steps=["{1}: lift her hands toward the keys of {2}", "the fingers of {1}: rest on the keys of {2}",
               "{1}: press down keys of {2}", "the fingers of {1}: move along the keyboard of {2}"],
        outcome="{1}: sit at {2} with her hands on its keys",
        contact="medium", motion="low",
    ),
    dict(
        id="obj-contact-04", type="contact", pairing="human-object",
        objects=[("man", "man in a blue work shirt"), ("cloth", "yellow microfiber cloth"),
                 ("window", "large office window")],
        image="An office with a large dusty window. A man in a blue work shirt stands next to it holding a "
              "yellow microfiber cloth at waist height, not touching the glass.",
        video="A man in a blue work shirt lifts a yellow microfiber cloth to a large dusty window and wipes "
              "the glass in wide circles, leaving a clean streak-free patch in the middle of the pane.",
        subject=1, object=3, action="wipes {3} with {2}", passive="wiped",
        before="{1}: hold {2} at waist height beside {3}",
        steps=["{1}: raise {2} toward {3}", "{2}: press against the glass of {3}",
               "{1}: move {2} in circles across {3}", "the middle of {3}: be cleaner than its edges"],
        outcome="{1}: lower {2} away from {3}",
        contact="high", motion="medium",
    ),
    dict(
        id="obj-contact-05", type="contact", pairing="human-object",
        objects=[("man", "boxer in red gloves"), ("punching bag", "black leather punching bag")],
        image="A boxing gym. A boxer in red gloves stands in a guard stance an arm's length from a still "
              "black leather punching bag hanging from a chain.",
        video="A boxer in red gloves throws a hard straight punch into a hanging black leather punching "
              "bag; the bag swings away on its chain, then swings back and bumps into the boxer's shoulder.",
        subject=1, object=2, action="punches {2}", passive="punched",
        before="{1}: stand in a guard stance in front of {2}",
        steps=["{1}: extend a gloved fist toward {2}", "the glove of {1}: hit the side of {2}",
               "{2}: swing away from {1}", "{1}: pull the fist back into guard"],
        outcome="{2}: be swinging on its chain",
        response=dict(
            subject=2, object=1, action="swings back into {1}", passive="bumped",
            before="{2}: hang still in front of {1}",
            steps=["{2}: swing away to the far end of its arc", "{2}: swing back toward {1}",
                   "{2}: touch the shoulder of {1}", "{1}: be nudged backward by the swing"],
            outcome="{2}: hang close to {1}",
        ),
        contact="high", motion="high",
    ),
    dict(
        id="obj-contact-06", type="contact", pairing="human-object",
        objects=[("woman", "woman in a white sweater"), ("sofa", "grey fabric sofa"),
                 ("cushion", "orange square cushion")],
        image="A cosy living room. A woman in a white sweater stands beside a grey fabric sofa; an orange "
              "square cushion lies in the middle of the seat.",
        video="A woman in a white sweater picks up an orange cushion from the middle of a grey fabric sofa, "
              "moves it to the armrest, and sits down on the sofa, leaning back into it.",
        subject=1, object=2, action="sits down on {2}", passive="sat on",
        before="{1}: stand beside {2} with {3} lying on its seat",
        steps=["{1}: pick up {3} from the seat of {2}", "{1}: place {3} against the armrest of {2}",
               "{1}: lower her body toward the seat of {2}", "{1}: be sitting on {2}"],
        outcome="{1}: lean back on {2} beside {3}",
        contact="high", motion="medium",
    ),
    # --------------------------------------------------------------------------------------------- force
    dict(
        id="obj-force-01", type="force", pairing="human-object",
        objects=[("man", "man in an orange safety vest"), ("car", "small red hatchback car")],
        image="A quiet street. A small red hatchback car is stopped at the kerb; a man in an orange safety "
              "vest stands a step behind its rear bumper, hands at his sides.",
        video="A man in an orange safety vest places both hands on the back of a stalled small red hatchback "
              "car, leans his weight forward and pushes it until it rolls slowly along the street.",
        subject=1, object=2, action="pushes {2} forward", passive="pushed forward",
        before="{1}: stand a step behind {2} with his hands at his sides",
        steps=["{1}: place both hands on the back of {2}", "{1}: lean his body forward against {2}",
               "{2}: start to roll forward", "{1}: walk behind {2} while pushing it"],
        outcome="{2}: be further along the street than at the start",
        contact="high", motion="medium",
    ),
    dict(
        id="obj-force-02", type="force", pairing="human-object",
        objects=[("woman", "woman in a blue football kit"), ("ball", "white football"),
                 ("goal", "football goal with a white net")],
        image="A grass pitch. A woman in a blue football kit stands two steps behind a white football; a "
              "football goal with a white net stands in the background.",
        video="A woman in a blue football kit runs up to a white football and kicks it hard; the ball flies "
              "across the grass into a football goal and shakes the white net.",
        subject=1, object=2, action="kicks {2} into {3}", passive="kicked",
        before="{1}: stand behind {2} with {2} resting on the grass",
        steps=["{1}: run toward {2}", "the foot of {1}: strike {2}", "{2}: fly away from {1} toward {3}",
               "{2}: enter {3}"],
        outcome="{2}: be inside {3}",
        contact="medium", motion="high",
    ),
    dict(
        id="obj-force-03", type="force", pairing="human-object",
        objects=[("man", "bearded man in a plaid shirt"), ("axe", "wood-handled axe"),
                 ("log", "round pine log")],
        image="A backyard with a chopping block. A round pine log stands upright on the block; a bearded "
              "man in a plaid shirt holds a wood-handled axe lowered beside his leg.",
        video="A bearded man in a plaid shirt raises a wood-handled axe over his head and swings it down "
              "onto a round pine log standing on a chopping block; the log splits into two halves.",
        subject=1, object=3, action="splits {3} with {2}", passive="split",
        before="{3}: stand whole and upright in front of {1}",
        steps=["{1}: raise {2} above his head", "{1}: swing {2} down toward {3}",
               "the blade of {2}: strike the top of {3}", "{3}: crack apart"],
        outcome="{3}: lie in two separate halves",
        contact="high", motion="high",
    ),
    dict(
        id="obj-force-04", type="force", pairing="human-object",
        objects=[("girl", "girl in a striped shirt"), ("swing", "wooden playground swing")],
        image="A playground. An empty wooden playground swing hangs still; a girl in a striped shirt "
              "stands right behind it with her hands at chest height.",
        video="A girl in a striped shirt pushes an empty wooden playground swing away from her; it swings "
              "forward, comes back and knocks against her raised hands, pushing her a little backwards.",
        subject=1, object=2, action="pushes {2} away", passive="pushed away",
        before="{2}: hang still in front of {1}",
        steps=["the hands of {1}: touch the seat of {2}", "{1}: push {2} forward",
               "{2}: swing away from {1}", "{1}: keep her hands raised"],
        outcome="{2}: be swinging in front of {1}",
        response=dict(
            subject=2, object=1, action="swings back against {1}", passive="pushed back",
            before="{2}: be at the far end of its swing",
            steps=["{2}: swing back toward {1}", "the seat of {2}: reach the hands of {1}",
                   "the seat of {2}: press against the hands of {1}", "{1}: step backward"],
            outcome="{1}: stand a step further back than before",
        ),
        contact="medium", motion="high",
    ),
    dict(
        id="obj-force-05", type="force", pairing="human-object",
        objects=[("woman", "woman in a grey apron"), ("towel", "blue bath towel")],
        image="A laundry room sink. A woman in a grey apron holds a soaking wet blue towel loosely in both "
              "hands above the sink.",
        video="A woman in a grey apron twists a soaking wet blue towel with both hands in opposite "
              "directions above a sink; water streams out of the towel as it becomes a tight spiral.",
        subject=1, object=2, action="wrings out {2}", passive="wrung out",
        before="{1}: hold {2} loosely in both hands",
        steps=["{1}: grip the ends of {2}", "{1}: twist her hands in opposite directions",
               "{2}: form a tight spiral", "water: drip out of {2}"],
        outcome="{2}: be twisted into a rope shape",
        contact="high", motion="low",
    ),
    dict(
        id="obj-force-06", type="force", pairing="human-object",
        objects=[("man", "carpenter in a tan cap"), ("hammer", "steel claw hammer"), ("nail", "long steel nail"),
                 ("plank", "pale wooden plank")],
        image="A workbench with a pale wooden plank. A long steel nail stands upright with its tip on the "
              "plank, held by a carpenter in a tan cap; a steel claw hammer rests in his other hand.",
        video="A carpenter in a tan cap holds a long steel nail against a pale wooden plank and strikes it "
              "with a steel claw hammer several times until the nail is driven flush into the wood.",
        subject=1, object=3, action="drives {3} into {4} with {2}", passive="hammered",
        before="{3}: stand upright on {4} with most of its length visible",
        steps=["{1}: lift {2} above {3}", "{2}: strike the head of {3}",
               "{3}: sink partly into {4}", "{1}: strike {3} again with {2}"],
        outcome="the head of {3}: be flush with the surface of {4}",
        contact="high", motion="medium",
    ),
    # ----------------------------------------------------------------------------------------- transport
    dict(
        id="obj-transport-01", type="transport", pairing="human-object",
        objects=[("woman", "woman in a navy jumpsuit"), ("box", "brown cardboard box"),
                 ("table", "white folding table")],
        image="A storage room. A brown cardboard box sits on the floor; a white folding table stands two "
              "metres away; a woman in a navy jumpsuit stands beside the box.",
        video="A woman in a navy jumpsuit bends down, lifts a brown cardboard box from the floor with both "
              "arms, carries it across the room and sets it down on a white folding table.",
        subject=1, object=2, action="carries {2} onto {3}", passive="carried",
        before="{2}: sit on the floor beside {1}, away from {3}",
        steps=["{1}: bend down toward {2}", "{1}: lift {2} off the floor",
               "{1}: walk toward {3} holding {2}", "{1}: lower {2} onto {3}"],
        outcome="{2}: rest on top of {3}",
        contact="high", motion="medium",
    ),
    dict(
        id="obj-transport-02", type="transport", pairing="human-object",
        objects=[("man", "man in a black suit"), ("suitcase", "silver hard-shell suitcase")],
        image="A train station hall. A man in a black suit stands next to an upright silver hard-shell "
              "suitcase with its handle retracted.",
        video="In a train station hall, a man in a black suit pulls up the handle of a silver hard-shell "
              "suitcase, tilts it onto its wheels and rolls it behind him across the hall.",
        subject=1, object=2, action="rolls {2} across the hall", passive="rolled along",
        before="{2}: stand upright beside {1} with its handle down",
        steps=["{1}: pull up the handle of {2}", "{1}: tilt {2} onto its wheels",
               "{1}: walk forward pulling {2}", "{2}: roll along the floor behind {1}"],
        outcome="{1} and {2}: be far from where they started",
        contact="medium", motion="medium",
    ),
    dict(
        id="obj-transport-03", type="transport", pairing="human-object",
        objects=[("waiter", "waiter in a white shirt and black vest"), ("tray", "round silver tray"),
                 ("table", "small round café table")],
        image="A café. A waiter in a white shirt and black vest stands by the counter holding a round "
              "silver tray with two glasses; a small round café table stands a few steps away.",
        video="A waiter in a white shirt and black vest carries a round silver tray with two glasses "
              "through a café to a small round table and sets the tray down on it.",
        subject=1, object=2, action="carries {2} to {3}", passive="carried",
        before="{1}: hold {2} at the counter, away from {3}",
        steps=["{1}: walk toward {3} with {2}", "{2}: stay level in the hand of {1}",
               "{1}: stop beside {3}", "{1}: lower {2} onto {3}"],
        outcome="{2}: rest on {3}",
        contact="medium", motion="medium",
    ),
    dict(
        id="obj-transport-04", type="transport", pairing="human-object",
        objects=[("woman", "woman in a red sweater"), ("cart", "metal shopping cart"),
                 ("bag", "paper grocery bag")],
        image="A supermarket aisle. A woman in a red sweater stands behind an empty metal shopping cart; a "
              "paper grocery bag full of vegetables sits on the floor next to her.",
        video="A woman in a red sweater lifts a paper grocery bag from the floor into a metal shopping cart, "
              "grips the cart's handle and pushes it down the supermarket aisle.",
        subject=1, object=[2, 3], action="pushes {2} with {3} inside down the aisle",
        passive="moved down the aisle",
        before="{3}: sit on the floor beside {2}",
        steps=["{1}: lift {3} into {2}", "{1}: grip the handle of {2}",
               "{1}: push {2} forward", "{2}: roll down the aisle with {3} inside"],
        outcome="{2}: be further down the aisle with {3} inside",
        contact="medium", motion="medium",
    ),
    dict(
        id="obj-transport-05", type="transport", pairing="human-object",
        objects=[("man", "elderly man in a cardigan"), ("potted plant", "potted fern in a blue pot"),
                 ("windowsill", "white windowsill")],
        image="A sunlit room. A potted fern in a blue pot stands on the floor; an elderly man in a cardigan "
              "stands next to it, beside a white windowsill.",
        video="An elderly man in a cardigan picks up a potted fern in a blue pot from the floor with both "
              "hands and places it on a white windowsill in the sunlight.",
        subject=1, object=2, action="lifts {2} onto {3}", passive="lifted",
        before="{2}: stand on the floor below {3}",
        steps=["{1}: bend toward {2}", "the hands of {1}: hold the pot of {2}",
               "{1}: raise {2} to the height of {3}", "{1}: set {2} down on {3}"],
        outcome="{2}: stand on {3}",
        contact="high", motion="medium",
    ),
    dict(
        id="obj-transport-06", type="transport", pairing="human-object",
        objects=[("boy", "boy in a puffy green jacket"), ("sled", "red plastic sled")],
        image="The bottom of a snowy hill. A boy in a puffy green jacket holds the tow rope of a red "
              "plastic sled lying in the snow behind him.",
        video="A boy in a puffy green jacket drags a red plastic sled by its tow rope up a snowy hill, "
              "leaning forward as the sled slides over the snow behind him.",
        subject=1, object=2, action="drags {2} up the hill", passive="dragged",
        before="{2}: lie in the snow at the bottom of the hill behind {1}",
        steps=["{1}: pull the rope of {2} tight", "{1}: walk uphill leaning forward",
               "{2}: slide over the snow behind {1}", "{1} and {2}: be partway up the hill"],
        outcome="{2}: be higher on the hill than at the start",
        contact="low", motion="medium",
    ),
    # -------------------------------------------------------------------------------------- manipulation
    dict(
        id="obj-manipulation-01", type="manipulation", pairing="human-object",
        objects=[("woman", "woman with a grey bun"), ("jar", "glass jar with a gold lid")],
        image="A kitchen counter. A woman with a grey bun holds a closed glass jar with a gold lid in her "
              "left hand; her right hand rests on the counter.",
        video="A woman with a grey bun grips a glass jar in her left hand, twists its gold lid with her "
              "right hand until it comes loose, then lifts the lid off and sets it on the counter.",
        subject=1, object=2, action="unscrews the lid of {2}", passive="opened",
        before="the lid of {2}: be closed",
        steps=["the right hand of {1}: grasp the lid of {2}", "{1}: twist the lid of {2}",
               "the lid of {2}: come loose", "{1}: lift the lid off {2}"],
        outcome="{2}: stand open without its lid",
        contact="high", motion="low",
    ),
    dict(
        id="obj-manipulation-02", type="manipulation", pairing="human-object",
        objects=[("man", "man in black jeans"), ("sneaker", "white canvas sneaker")],
        image="A hallway bench. A man in black jeans sits with his right foot in a white sneaker with loose, "
              "untied laces resting on the bench.",
        video="A man in black jeans sitting on a hallway bench pulls the loose laces of his white sneaker "
              "tight, crosses them, loops them into a bow and tugs the bow firm.",
        subject=1, object=2, action="ties the laces of {2}", passive="laced up",
        before="the laces of {2}: hang loose and untied",
        steps=["{1}: pull the laces of {2} tight", "{1}: cross the laces of {2}",
               "{1}: form loops with the laces of {2}", "{1}: tug the loops of {2} tight"],
        outcome="the laces of {2}: be tied in a bow",
        contact="high", motion="low",
    ),
    dict(
        id="obj-manipulation-03", type="manipulation", pairing="human-object",
        objects=[("girl", "girl with two braids"), ("paper", "sheet of blue paper")],
        image="A classroom desk. A flat sheet of blue paper lies on the desk; a girl with two braids sits in "
              "front of it with her hands beside it.",
        video="A girl with two braids folds a flat sheet of blue paper in half on her desk, folds the "
              "corners into a point, creases the wings and holds up a finished paper plane.",
        subject=1, object=2, action="folds {2} into a paper plane", passive="folded",
        before="{2}: lie flat on the desk in front of {1}",
        steps=["{1}: fold {2} in half", "{1}: fold the corners of {2} into a point",
               "{1}: press the creases of {2} flat", "{1}: fold down the wings of {2}"],
        outcome="{1}: hold up {2} shaped as a paper plane",
        contact="high", motion="low",
    ),
    dict(
        id="obj-manipulation-04", type="manipulation", pairing="human-object",
        objects=[("chef", "chef in a white jacket"), ("knife", "chef's knife"), ("tomato", "red tomato"),
                 ("cutting board", "wooden cutting board")],
        image="A restaurant kitchen. A whole red tomato sits on a wooden cutting board; a chef in a white "
              "jacket holds a chef's knife beside the board.",
        video="A chef in a white jacket steadies a red tomato on a wooden cutting board with one hand and "
              "cuts it into even slices with a chef's knife, then pushes the slices aside.",
        subject=1, object=3, action="slices {3} with {2}", passive="sliced",
        before="{3}: sit whole on {4}",
        steps=["{1}: hold {3} steady on {4}", "the blade of {2}: touch the top of {3}",
               "{2}: cut down through {3}", "{1}: cut more slices from {3}"],
        outcome="{3}: lie in separate slices on {4}",
        contact="high", motion="medium",
    ),
    dict(
        id="obj-manipulation-05", type="manipulation", pairing="human-object",
        objects=[("man", "man in a beige linen shirt"), ("teapot", "white porcelain teapot"),
                 ("cup", "clear glass cup")],
        image="A garden table. A white porcelain teapot and an empty glass cup stand side by side; a man in "
              "a beige linen shirt sits behind them with his hands on the table.",
        video="A man in a beige linen shirt lifts a white porcelain teapot by its handle, tilts it over an "
              "empty glass cup and pours amber tea until the cup is nearly full, then sets the teapot down.",
        subject=1, object=3, action="pours tea from {2} into {3}", passive="filled with tea",
        before="{3}: stand empty beside {2}",
        steps=["{1}: lift {2} by its handle", "{1}: tilt the spout of {2} over {3}",
               "tea: flow from {2} into {3}", "the tea level in {3}: be rising"],
        outcome="{3}: be nearly full of tea",
        contact="medium", motion="low",
    ),
    dict(
        id="obj-manipulation-06", type="manipulation", pairing="human-object",
        objects=[("woman", "woman in a denim jacket"), ("backpack", "orange backpack")],
        image="A park bench. An open orange backpack with its zip undone lies on the bench; a woman in a "
              "denim jacket stands in front of it.",
        video="A woman in a denim jacket pulls the zip of an open orange backpack around its top, closing "
              "it completely, then lifts the backpack by its strap.",
        subject=1, object=2, action="zips up {2}", passive="zipped up",
        before="{2}: lie open on the bench in front of {1}",
        steps=["{1}: take hold of the zip pull of {2}", "{1}: slide the zip along the top of {2}",
               "the opening of {2}: close behind the zip", "{1}: lift {2} by its strap"],
        outcome="{2}: be closed and in the hand of {1}",
        contact="high", motion="low",
    ),
    # -------------------------------------------------------------------------------------------- social
    dict(
        id="obj-social-01", type="social", pairing="human-object",
        objects=[("girl", "little girl in pink pajamas"), ("teddy bear", "large brown teddy bear")],
        image="A child's bedroom. A large brown teddy bear sits on the bed; a little girl in pink pajamas "
              "stands in front of the bed looking at it.",
        video="A little girl in pink pajamas runs to her bed, picks up a large brown teddy bear and hugs it "
              "tightly against her chest, swaying from side to side.",
        subject=1, object=2, action="hugs {2}", passive="hugged",
        before="{2}: sit on the bed apart from {1}",
        steps=["{1}: move toward {2}", "{1}: wrap her arms around {2}", "{1}: press {2} against her chest",
               "{1}: sway while holding {2}"],
        outcome="{2}: be held in the arms of {1}",
        contact="high", motion="low",
    ),
    dict(
        id="obj-social-02", type="social", pairing="human-object",
        objects=[("man", "young man in a yellow t-shirt"), ("smartphone", "smartphone on a small tripod")],
        image="A bedroom desk. A smartphone on a small tripod faces a young man in a yellow t-shirt, who "
              "sits a metre away with his hands on the desk.",
        video="A young man in a yellow t-shirt sitting at a desk looks into a smartphone on a small tripod, "
              "smiles, raises his right hand and waves at it.",
        subject=1, object=2, action="waves at {2}", passive="waved at",
        before="{1}: sit facing {2} with his hands on the desk",
        steps=["{1}: look at {2}", "{1}: raise his right hand toward {2}",
               "the hand of {1}: move from side to side", "{1}: keep facing {2} while waving"],
        outcome="{1}: sit facing {2} with a raised hand",
        contact="low", motion="low",
    ),
    dict(
        id="obj-social-03", type="social", pairing="human-object",
        objects=[("boy", "boy in a red cap"), ("robot", "white humanoid robot")],
        image="A science museum hall. A boy in a red cap stands facing a white humanoid robot of his height, "
              "both with their arms lowered.",
        video="In a science museum, a boy in a red cap and a white humanoid robot raise their right hands "
              "at the same time and slap their palms together in a high five, then lower their arms.",
        subject=1, object=2, action="high-fives {2}", passive="high-fived",
        before="{1}: stand facing {2} with arms lowered",
        steps=["{1}: raise a right hand toward {2}", "the palm of {1}: move toward the hand of {2}",
               "the palm of {1}: touch the hand of {2}", "{1}: pull the hand back"],
        outcome="{1} and {2}: stand facing each other with hands apart",
        response="mirror",
        contact="medium", motion="medium",
    ),
    dict(
        id="obj-social-04", type="social", pairing="human-object",
        objects=[("child", "toddler in a blue romper"), ("doll", "cloth doll in a red dress"),
                 ("spoon", "small plastic spoon")],
        image="A play mat. A toddler in a blue romper sits facing a cloth doll in a red dress propped "
              "against a cushion; a small plastic spoon lies on the mat.",
        video="A toddler in a blue romper picks up a small plastic spoon from a play mat and pretends to "
              "feed a cloth doll in a red dress, holding the spoon against the doll's mouth.",
        subject=1, object=2, action="pretends to feed {2} with {3}", passive="fed",
        before="{3}: lie on the mat apart from {1} and {2}",
        steps=["{1}: pick up {3}", "{1}: move {3} toward the face of {2}",
               "{3}: touch the mouth of {2}", "{1}: hold {3} at the mouth of {2}"],
        outcome="{3}: be in the hand of {1} near {2}",
        contact="medium", motion="low",
    ),
    dict(
        id="obj-social-05", type="social", pairing="human-object",
        objects=[("man", "elderly man with white hair"), ("photograph", "framed black-and-white photograph")],
        image="A quiet study. An elderly man with white hair sits in an armchair holding a framed "
              "black-and-white photograph on his knees.",
        video="An elderly man with white hair in an armchair lifts a framed black-and-white photograph from "
              "his knees, looks at it, brings it to his lips and kisses the glass.",
        subject=1, object=2, action="kisses {2}", passive="kissed",
        before="{2}: rest on the knees of {1}",
        steps=["{1}: lift {2} from his knees", "{1}: look at {2}", "{1}: bring {2} toward his face",
               "the lips of {1}: touch the glass of {2}"],
        outcome="{1}: hold {2} close to his chest",
        contact="medium", motion="low",
    ),
    dict(
        id="obj-social-06", type="social", pairing="human-object",
        objects=[("boy", "boy in a striped sweater"), ("robot", "small wheeled robot with a screen face")],
        image="A living room floor. A boy in a striped sweater kneels a metre away from a small wheeled "
              "robot with a screen face; the robot's arm is lowered.",
        video="A boy in a striped sweater kneels and waves at a small wheeled robot with a screen face; the "
              "robot lights up, turns toward him and waves its little arm back at him.",
        subject=1, object=2, action="waves at {2}", passive="waved at",
        before="{1}: kneel in front of {2} with his hands on his knees",
        steps=["{1}: raise a hand toward {2}", "the hand of {1}: move from side to side",
               "{1}: look at {2} while waving", "{1}: lower the hand"],
        outcome="{1}: kneel facing {2}",
        response=dict(
            subject=2, object=1, action="waves its arm at {1}", passive="waved at",
            before="the arm of {2}: be lowered",
            steps=["the screen of {2}: light up", "{2}: turn to face {1}", "{2}: raise its arm",
                   "the arm of {2}: move from side to side"],
            outcome="{2}: face {1} with its arm raised",
        ),
        contact="low", motion="low",
    ),
]
