"""intergeneval-open-v1 source: human–human scenarios (written for this project)."""

# ruff: noqa: E501  (scenario text reads better unwrapped at the margin)

SCENARIOS = [
    # ------------------------------------------------------------------------------------------- contact
    dict(
        id="hum-contact-01", type="contact", pairing="human-human",
        objects=[("man", "man in a brown leather jacket"), ("woman", "woman with short black hair")],
        image="A museum gallery. A woman with short black hair stands looking at a painting, her back "
              "toward a man in a brown leather jacket who stands one step behind her.",
        video="In a museum gallery, a man in a brown leather jacket steps up behind a woman with short black "
              "hair and taps her lightly on the shoulder; she turns her head around toward him.",
        subject=1, object=2, action="taps {2} on the shoulder", passive="tapped on the shoulder",
        before="{2}: stand with her back to {1}",
        steps=["{1}: raise a hand toward the shoulder of {2}", "the fingers of {1}: touch the shoulder of {2}",
               "{1}: draw the hand back", "{2}: turn her head toward {1}"],
        outcome="{2}: face {1}",
        contact="low", motion="low",
    ),
    dict(
        id="hum-contact-02", type="contact", pairing="human-human",
        objects=[("man", "man in a blue suit"), ("woman", "woman carrying a white tote bag")],
        image="A busy sidewalk. A man in a blue suit reading a phone walks from the left and a woman carrying "
              "a white tote bag walks from the right, both looking down, a few steps apart.",
        video="On a busy sidewalk, a man in a blue suit reading a phone and a woman carrying a white tote "
              "bag walk toward each other without looking, bump shoulders, and both stumble half a step aside.",
        subject=1, object=2, action="bumps shoulders with {2}", passive="bumped into",
        before="{1}: walk toward {2} with a gap between them",
        steps=["{1}: walk closer to {2}", "the shoulder of {1}: touch the shoulder of {2}",
               "{1}: stumble sideways away from {2}", "{1}: look up at {2}"],
        outcome="{1} and {2}: stand apart looking at each other",
        response="mirror",
        contact="medium", motion="medium",
    ),
    dict(
        id="hum-contact-03", type="contact", pairing="human-human",
        objects=[("woman", "mother in a beige blouse"), ("child", "little boy in a high chair"),
                 ("napkin", "white paper napkin")],
        image="A dining room. A little boy in a high chair has tomato sauce on his cheeks; a mother in a "
              "beige blouse stands beside him holding a folded white paper napkin.",
        video="A mother in a beige blouse leans over a little boy in a high chair and wipes the tomato sauce "
              "off his cheeks with a white paper napkin, holding his chin gently.",
        subject=1, object=2, action="wipes the face of {2} with {3}", passive="wiped clean",
        before="{3}: be folded in the hand of {1} away from {2}",
        steps=["{1}: lean toward {2}", "{3}: touch the cheek of {2}",
               "{1}: rub {3} across the face of {2}", "{1}: lift {3} away from {2}"],
        outcome="the face of {2}: be clean of sauce",
        contact="high", motion="low",
    ),
    dict(
        id="hum-contact-04", type="contact", pairing="human-human",
        objects=[("barber", "barber in a black apron"), ("man", "customer in a striped cape"),
                 ("comb", "black plastic comb")],
        image="A barbershop. A seated customer in a striped cape sits in the barber chair; a barber in a "
              "black apron stands behind him holding a black plastic comb at his side.",
        video="A barber in a black apron raises a black plastic comb and combs the hair of a seated customer "
              "in a striped cape from front to back in several even strokes.",
        subject=1, object=2, action="combs the hair of {2} with {3}", passive="combed",
        before="{3}: be held at the side of {1}",
        steps=["{1}: raise {3} to the head of {2}", "the teeth of {3}: touch the hair of {2}",
               "{1}: pull {3} backward through the hair of {2}", "{1}: repeat the stroke with {3}"],
        outcome="the hair of {2}: be combed back",
        contact="high", motion="low",
    ),
    dict(
        id="hum-contact-05", type="contact", pairing="human-human",
        objects=[("dancer", "dancer in a white leotard"), ("dancer", "dancer in a black leotard")],
        image="A dance studio with a mirror wall. A dancer in a white leotard and a dancer in a black "
              "leotard stand facing each other an arm's length apart, hands at their sides.",
        video="In a dance studio, a dancer in a white leotard and a dancer in a black leotard raise their "
              "hands and press their palms together, then slowly turn in a circle keeping their palms joined.",
        subject=1, object=2, action="presses palms against the palms of {2}", passive="met palm to palm",
        before="{1}: stand facing {2} with arms lowered",
        steps=["{1}: raise both hands toward {2}", "the palms of {1}: touch the palms of {2}",
               "{1} and {2}: turn in a circle with palms joined", "{1}: keep the palms against {2}"],
        outcome="{1} and {2}: stand palm to palm",
        response="mirror",
        contact="high", motion="medium",
    ),
    dict(
        id="hum-contact-06", type="contact", pairing="human-human",
        objects=[("nurse", "nurse in teal scrubs"), ("patient", "patient in a hospital gown"),
                 ("bed", "white hospital bed")],
        image="A hospital room. A patient lying in bed rests under a blanket in a white hospital bed; a "
              "nurse in teal scrubs stands at the bedside with her hands clasped.",
        video="A nurse in teal scrubs at the side of a white hospital bed leans forward and lays the back of "
              "her hand on the forehead of a patient lying in bed, holding it there for a moment.",
        subject=1, object=2, action="lays a hand on the forehead of {2}", passive="touched on the forehead",
        before="{1}: stand beside {3} with her hands clasped",
        steps=["{1}: lean over {3}", "{1}: move a hand toward the forehead of {2}",
               "the hand of {1}: rest on the forehead of {2}", "{1}: lift the hand away"],
        outcome="{1}: stand upright beside {3}",
        contact="medium", motion="low",
    ),
    # --------------------------------------------------------------------------------------------- force
    dict(
        id="hum-force-01", type="force", pairing="human-human",
        objects=[("man", "man in a green tank top"), ("man", "man in a white polo shirt"),
                 ("table", "small square bar table")],
        image="A pub. A man in a green tank top and a man in a white polo shirt sit across a small square "
              "bar table with their right elbows on it and hands clasped upright.",
        video="Two men arm-wrestle at a small bar table: the man in the green tank top slowly forces the arm "
              "of the man in the white polo shirt down, while the other pushes back hard before his hand "
              "touches the table.",
        subject=1, object=2, action="forces the arm of {2} down onto {3}", passive="forced down",
        before="the clasped hands of {1} and {2}: be upright above {3}",
        steps=["the arm of {1}: tense against the hand of {2}", "the hand of {2}: tilt toward {3}",
               "the arm of {2}: bend toward {3}", "the hand of {2}: approach the surface of {3}"],
        outcome="the back of the hand of {2}: touch {3}",
        response=dict(
            subject=2, object=1, action="pushes back against the arm of {1}", passive="pushed against",
            before="the elbow of {2}: rest on {3}",
            steps=["{2}: grip the hand of {1}", "{2}: lean into the push",
                   "the arm of {2}: strain against the arm of {1}", "{1} and {2}: be straining with clasped hands"],
            outcome="{2}: keep gripping the hand of {1}",
        ),
        contact="high", motion="low",
    ),
    dict(
        id="hum-force-02", type="force", pairing="human-human",
        objects=[("man", "man in a red t-shirt"), ("woman", "woman in a blue t-shirt"),
                 ("rope", "thick hemp rope")],
        image="A grassy field. A man in a red t-shirt and a woman in a blue t-shirt stand four metres apart, "
              "each holding one end of a thick hemp rope that hangs slack between them.",
        video="A man in a red t-shirt and a woman in a blue t-shirt play tug-of-war with a thick hemp rope; "
              "he leans back and drags her two steps forward, then she digs in her heels and hauls back.",
        subject=1, object=2, action="pulls {2} forward by {3}", passive="pulled forward",
        before="{3}: hang slack between {1} and {2}",
        steps=["{1}: grip {3} with both hands", "{3}: be pulled taut", "{1}: lean backward",
               "{2}: step forward toward {1}"],
        outcome="{2}: be closer to {1} than at the start",
        response=dict(
            subject=2, object=1, action="hauls {1} back by {3}", passive="pulled back",
            before="{2}: lean forward holding {3}",
            steps=["{2}: dig her heels into the grass", "{2}: lean backward", "{2}: pull {3} toward herself",
                   "{1}: step forward toward {2}"],
            outcome="{1}: be leaning forward toward {2}",
        ),
        contact="medium", motion="high",
    ),
    dict(
        id="hum-force-03", type="force", pairing="human-human",
        objects=[("man", "father in a grey sweatshirt"), ("girl", "girl in a pink jacket"),
                 ("swing", "black rubber swing")],
        image="A playground. A girl in a pink jacket sits on a black rubber swing hanging still; a father in "
              "a grey sweatshirt stands right behind her.",
        video="A father in a grey sweatshirt places his hands on the back of a girl in a pink jacket sitting "
              "on a black rubber swing and pushes her; she swings forward high into the air.",
        subject=1, object=2, action="pushes {2} forward on {3}", passive="pushed",
        before="{2}: sit still on {3} in front of {1}",
        steps=["{1}: place his hands on the back of {2}", "{1}: push forward with his arms",
               "{2} and {3}: swing away from {1}", "{2}: rise higher on {3}"],
        outcome="{2}: be swinging high on {3}",
        contact="high", motion="high",
    ),
    dict(
        id="hum-force-04", type="force", pairing="human-human",
        objects=[("man", "climber in a yellow helmet"), ("woman", "climber in a red helmet"),
                 ("ledge", "flat rock ledge")],
        image="A rock face. A climber in a yellow helmet kneels on a flat rock ledge; a climber in a red "
              "helmet hangs just below the edge, one hand reaching up.",
        video="A climber in a yellow helmet kneeling on a flat rock ledge grabs the forearm of a climber in "
              "a red helmet below the edge and hauls her up until she kneels on the ledge beside him.",
        subject=1, object=2, action="pulls {2} up onto {3}", passive="pulled up",
        before="{2}: be below the edge of {3}",
        steps=["{1}: reach down toward {2}", "the hand of {1}: grip the forearm of {2}",
               "{1}: lean back pulling {2}", "{2}: rise over the edge of {3}"],
        outcome="{2}: kneel on {3} beside {1}",
        contact="high", motion="medium",
    ),
    dict(
        id="hum-force-05", type="force", pairing="human-human",
        objects=[("wrestler", "sumo wrestler in a black belt"), ("wrestler", "sumo wrestler in a purple belt")],
        image="A sumo ring. A sumo wrestler in a black belt and a sumo wrestler in a purple belt crouch "
              "facing each other across the starting lines, fists on the ground.",
        video="Two sumo wrestlers, one in a black belt and one in a purple belt, charge from their starting "
              "lines, collide chest to chest and shove each other with both hands, locked in the middle of the ring.",
        subject=1, object=2, action="shoves {2}", passive="shoved",
        before="{1}: crouch facing {2} across the starting lines",
        steps=["{1}: spring forward toward {2}", "the chest of {1}: hit the chest of {2}",
               "the hands of {1}: push against the shoulders of {2}", "{1}: drive the legs forward"],
        outcome="{1} and {2}: be locked together in the ring",
        response="mirror",
        contact="high", motion="high",
    ),
    dict(
        id="hum-force-06", type="force", pairing="human-human",
        objects=[("player", "rugby player in a green jersey"), ("player", "rugby player in a white jersey"),
                 ("ball", "oval rugby ball")],
        image="A rugby pitch. A rugby player in a white jersey runs holding an oval rugby ball; a rugby "
              "player in a green jersey runs toward him from the side, a few metres away.",
        video="A rugby player in a green jersey sprints in and tackles a rugby player in a white jersey "
              "around the waist; both fall onto the grass and the oval rugby ball bounces loose.",
        subject=1, object=2, action="tackles {2}", passive="tackled",
        before="{2}: run holding {3} with {1} a few metres away",
        steps=["{1}: sprint toward {2}", "the arms of {1}: wrap around the waist of {2}",
               "{2}: tip over toward the grass", "{3}: come out of the hands of {2}"],
        outcome="{2}: lie on the grass with {1}",
        contact="high", motion="high",
    ),
    # ----------------------------------------------------------------------------------------- transport
    dict(
        id="hum-transport-01", type="transport", pairing="human-human",
        objects=[("man", "father in a denim shirt"), ("child", "little girl in a sun hat")],
        image="A park path. A father in a denim shirt kneels on the ground; a little girl in a sun hat "
              "stands next to him on the path.",
        video="A father in a denim shirt lifts a little girl in a sun hat onto his shoulders, stands up and "
              "walks along the park path carrying her as she holds onto his head.",
        subject=1, object=2, action="carries {2} on his shoulders", passive="carried",
        before="{2}: stand on the ground beside {1}",
        steps=["{1}: lift {2} off the ground", "{2}: sit on the shoulders of {1}", "{1}: stand up with {2}",
               "{1}: walk along the path carrying {2}"],
        outcome="{2}: be on the shoulders of {1} further along the path",
        contact="high", motion="medium",
    ),
    dict(
        id="hum-transport-02", type="transport", pairing="human-human",
        objects=[("boy", "boy in an orange jersey"), ("girl", "girl in a purple jersey"),
                 ("ball", "red rubber ball")],
        image="A schoolyard. A boy in an orange jersey holds a red rubber ball; a girl in a purple jersey "
              "stands five metres away facing him with her hands down.",
        video="A boy in an orange jersey tosses a red rubber ball to a girl in a purple jersey; she catches "
              "it with both hands and throws it straight back, and he catches it again.",
        subject=1, object=3, action="tosses {3} to {2}", passive="tossed",
        before="{3}: be in the hands of {1}",
        steps=["{1}: swing {3} back", "{3}: leave the hands of {1}", "{3}: fly toward {2}",
               "{2}: catch {3}"],
        outcome="{3}: be in the hands of {2}",
        response=dict(
            subject=2, object=3, action="throws {3} back to {1}", passive="thrown back",
            before="{3}: be in the hands of {2}",
            steps=["{2}: raise {3}", "{3}: leave the hands of {2}", "{3}: fly toward {1}", "{1}: catch {3}"],
            outcome="{3}: be in the hands of {1} again",
        ),
        contact="low", motion="high",
    ),
    dict(
        id="hum-transport-03", type="transport", pairing="human-human",
        objects=[("paramedic", "paramedic in a red jacket"), ("paramedic", "paramedic in a green jacket"),
                 ("stretcher", "orange rescue stretcher"), ("patient", "patient wrapped in a silver blanket")],
        image="A car park beside an ambulance. A patient wrapped in a silver blanket lies on an orange "
              "rescue stretcher on the ground; a paramedic in a red jacket and a paramedic in a green jacket "
              "stand at each end.",
        video="A paramedic in a red jacket and a paramedic in a green jacket lift an orange rescue stretcher "
              "with a patient wrapped in a silver blanket and carry it together toward an ambulance.",
        subject=1, object=4, action="carries {4} on {3} together with {2}", passive="carried",
        before="{3}: lie on the ground with {4} on it",
        steps=["{1}: grip the handles at one end of {3}", "{1} and {2}: lift {3} off the ground",
               "{1}: walk while holding {3}", "{4}: move along on {3}"],
        outcome="{3}: be carried away from where it lay",
        contact="medium", motion="medium",
    ),
    dict(
        id="hum-transport-04", type="transport", pairing="human-human",
        objects=[("man", "young man in a hoodie"), ("woman", "elderly woman in a wheelchair"),
                 ("wheelchair", "blue wheelchair")],
        image="A riverside path. An elderly woman in a wheelchair sits in a blue wheelchair; a young man in a "
              "hoodie stands behind it, hands at his sides.",
        video="A young man in a hoodie takes the handles of a blue wheelchair and pushes an elderly woman in "
              "the wheelchair slowly along a riverside path.",
        subject=1, object=2, action="pushes {2} along the path in {3}", passive="wheeled along",
        before="{1}: stand behind {3} with his hands at his sides",
        steps=["{1}: grip the handles of {3}", "{1}: push {3} forward", "the wheels of {3}: roll along the path",
               "{1}: walk behind {2}"],
        outcome="{2}: be further along the path in {3}",
        contact="medium", motion="medium",
    ),
    dict(
        id="hum-transport-05", type="transport", pairing="human-human",
        objects=[("woman", "woman in a grey tracksuit"), ("girl", "girl in rainbow leggings")],
        image="A beach promenade. A woman in a grey tracksuit crouches with her back toward a girl in rainbow "
              "leggings who stands behind her.",
        video="A woman in a grey tracksuit crouches, a girl in rainbow leggings climbs onto her back, and "
              "the woman stands up and jogs along the promenade giving her a piggyback ride.",
        subject=1, object=2, action="gives {2} a piggyback ride", passive="carried piggyback",
        before="{1}: crouch with her back to {2}",
        steps=["{2}: climb onto the back of {1}", "{1}: hold the legs of {2}", "{1}: stand up carrying {2}",
               "{1}: jog along the promenade with {2}"],
        outcome="{2}: ride on the back of {1}",
        contact="high", motion="high",
    ),
    dict(
        id="hum-transport-06", type="transport", pairing="human-human",
        objects=[("woman", "mother in a yellow cardigan"), ("man", "father in a checked shirt"),
                 ("baby", "baby in a white onesie")],
        image="A living room. A mother in a yellow cardigan holds a baby in a white onesie in her arms; a "
              "father in a checked shirt stands in front of her with empty hands.",
        video="A mother in a yellow cardigan carefully hands a baby in a white onesie to a father in a "
              "checked shirt, who takes the baby into his arms and cradles it against his chest.",
        subject=1, object=3, action="hands {3} to {2}", passive="handed over",
        before="{3}: be in the arms of {1}",
        steps=["{1}: hold {3} out toward {2}", "the hands of {2}: take hold of {3}",
               "{1}: let go of {3}", "{2}: draw {3} to his chest"],
        outcome="{3}: be in the arms of {2}",
        contact="high", motion="low",
    ),
    # -------------------------------------------------------------------------------------- manipulation
    dict(
        id="hum-manipulation-01", type="manipulation", pairing="human-human",
        objects=[("woman", "woman in a burgundy dress"), ("man", "man in a white dress shirt"),
                 ("necktie", "navy silk necktie")],
        image="A bedroom mirror. A man in a white dress shirt stands with a navy silk necktie hanging "
              "untied around his collar; a woman in a burgundy dress stands in front of him.",
        video="A woman in a burgundy dress takes the two ends of a navy silk necktie hanging around the "
              "collar of a man in a white dress shirt, crosses and loops them into a knot and slides it up.",
        subject=1, object=3, action="knots {3} around the collar of {2}", passive="knotted",
        before="{3}: hang untied around the collar of {2}",
        steps=["{1}: take the ends of {3}", "{1}: cross the ends of {3}", "{1}: pull one end of {3} through a loop",
               "{1}: slide the knot of {3} up to the collar of {2}"],
        outcome="{3}: be knotted at the collar of {2}",
        contact="medium", motion="low",
    ),
    dict(
        id="hum-manipulation-02", type="manipulation", pairing="human-human",
        objects=[("woman", "hairdresser with a blue wristband"), ("girl", "girl with long brown hair")],
        image="A salon chair. A girl with long brown hair sits with her hair loose down her back; a "
              "hairdresser with a blue wristband stands behind her.",
        video="A hairdresser with a blue wristband divides the long brown hair of a seated girl into three "
              "strands and braids them, crossing the strands over one another down her back.",
        subject=1, object=2, action="braids the hair of {2}", passive="given a braid",
        before="the hair of {2}: hang loose down her back",
        steps=["{1}: gather the hair of {2}", "{1}: split the hair of {2} into strands",
               "{1}: cross the strands over each other", "a braid: form down the back of {2}"],
        outcome="the hair of {2}: be in a braid",
        contact="high", motion="low",
    ),
    dict(
        id="hum-manipulation-03", type="manipulation", pairing="human-human",
        objects=[("man", "father in a grey beanie"), ("boy", "small boy"), ("coat", "red duffel coat")],
        image="A front hall. A small boy stands wearing an open red duffel coat; a father in a grey beanie "
              "kneels in front of him.",
        video="A father in a grey beanie kneels in front of a small boy and fastens the toggles of his open "
              "red duffel coat one by one from bottom to top.",
        subject=1, object=3, action="fastens {3} on {2}", passive="fastened",
        before="{3}: hang open on {2}",
        steps=["{1}: take the two sides of {3}", "{1}: pull the sides of {3} together",
               "{1}: fasten the lowest toggle of {3}", "{1}: fasten the higher toggles of {3}"],
        outcome="{3}: be closed on {2}",
        contact="medium", motion="low",
    ),
    dict(
        id="hum-manipulation-04", type="manipulation", pairing="human-human",
        objects=[("doctor", "doctor in a white coat"), ("man", "man in a grey t-shirt"),
                 ("bandage", "white gauze bandage")],
        image="A clinic. A man in a grey t-shirt sits holding out his bare right wrist; a doctor in a white "
              "coat sits opposite him holding a roll of white bandage.",
        video="A doctor in a white coat wraps a roll of white bandage around the outstretched right wrist "
              "of a man in a grey t-shirt, winding it several times and tucking in the end.",
        subject=1, object=2, action="bandages the wrist of {2} with {3}", passive="bandaged",
        before="the wrist of {2}: be bare",
        steps=["{1}: hold the end of {3} against the wrist of {2}", "{1}: wind {3} around the wrist of {2}",
               "{3}: unroll as it wraps", "{1}: tuck in the end of {3}"],
        outcome="the wrist of {2}: be wrapped in {3}",
        contact="high", motion="low",
    ),
    dict(
        id="hum-manipulation-05", type="manipulation", pairing="human-human",
        objects=[("man", "man with a curly beard"), ("woman", "woman with a long ponytail"),
                 ("hat", "straw sun hat"), ("cap", "blue baseball cap")],
        image="A seaside boardwalk. A man with a curly beard holds a straw sun hat and a woman with a long "
              "ponytail holds a blue baseball cap; they stand facing each other, bareheaded.",
        video="A man with a curly beard places a straw sun hat on the head of a woman with a long ponytail, "
              "and she laughs and puts a blue baseball cap on his head in return.",
        subject=1, object=2, action="puts {3} on the head of {2}", passive="given a hat",
        before="{3}: be in the hands of {1}",
        steps=["{1}: raise {3}", "{1}: move {3} over the head of {2}", "{3}: rest on the head of {2}",
               "{1}: let go of {3}"],
        outcome="{2}: wear {3}",
        response=dict(
            subject=2, object=1, action="puts {4} on the head of {1}", passive="given a cap",
            before="{4}: be in the hands of {2}",
            steps=["{2}: raise {4}", "{2}: move {4} over the head of {1}", "{4}: rest on the head of {1}",
                   "{2}: let go of {4}"],
            outcome="{1}: wear {4}",
        ),
        contact="medium", motion="medium",
    ),
    dict(
        id="hum-manipulation-06", type="manipulation", pairing="human-human",
        objects=[("man", "man in a dark blazer"), ("woman", "woman in a lilac top"),
                 ("watch", "gold wristwatch")],
        image="A restaurant table. A woman in a lilac top holds her bare left wrist out over the table; a "
              "man in a dark blazer holds an open gold wristwatch.",
        video="A man in a dark blazer wraps a gold wristwatch around the outstretched left wrist of a woman "
              "in a lilac top and closes its clasp, then lets go.",
        subject=1, object=3, action="fastens {3} around the wrist of {2}", passive="fastened",
        before="the wrist of {2}: be bare",
        steps=["{1}: lay {3} across the wrist of {2}", "{1}: wrap the band of {3} around the wrist",
               "{1}: press the clasp of {3} shut", "{1}: take his hands away from {3}"],
        outcome="{3}: be on the wrist of {2}",
        contact="medium", motion="low",
    ),
    # -------------------------------------------------------------------------------------------- social
    dict(
        id="hum-social-01", type="social", pairing="human-human",
        objects=[("man", "businessman in a charcoal suit"), ("woman", "businesswoman in a cream blazer")],
        image="An office lobby. A businessman in a charcoal suit and a businesswoman in a cream blazer stand "
              "facing each other a metre apart, arms at their sides.",
        video="In an office lobby, a businessman in a charcoal suit and a businesswoman in a cream blazer "
              "step toward each other, shake hands firmly with two up-and-down motions, and let go.",
        subject=1, object=2, action="shakes hands with {2}", passive="greeted with a handshake",
        before="{1}: stand facing {2} with arms at the sides",
        steps=["{1}: extend a right hand toward {2}", "the hand of {1}: clasp the hand of {2}",
               "{1}: move the clasped hands up and down", "{1}: release the hand of {2}"],
        outcome="{1} and {2}: stand facing each other with hands apart",
        response="mirror",
        contact="medium", motion="low",
    ),
    dict(
        id="hum-social-02", type="social", pairing="human-human",
        objects=[("woman", "woman in a yellow coat"), ("woman", "woman in a green scarf")],
        image="An airport arrivals hall. A woman in a yellow coat and a woman in a green scarf stand two "
              "metres apart, seeing each other, arms at their sides.",
        video="In an airport arrivals hall, a woman in a yellow coat and a woman in a green scarf rush "
              "toward each other and embrace tightly, rocking slightly, then step back smiling.",
        subject=1, object=2, action="hugs {2}", passive="hugged",
        before="{1}: stand apart from {2}",
        steps=["{1}: walk quickly toward {2}", "{1}: open the arms", "the arms of {1}: wrap around {2}",
               "{1}: hold {2} close"],
        outcome="{1} and {2}: stand close together",
        response="mirror",
        contact="high", motion="medium",
    ),
    dict(
        id="hum-social-03", type="social", pairing="human-human",
        objects=[("player", "basketball player in a white jersey"),
                 ("player", "basketball player in a black jersey")],
        image="A basketball court. A basketball player in a white jersey and a basketball player in a black "
              "jersey jog toward each other, hands lowered.",
        video="On a basketball court, a player in a white jersey and a player in a black jersey jump and "
              "slap their raised right hands together in a high five, then land and jog on.",
        subject=1, object=2, action="high-fives {2}", passive="high-fived",
        before="{1}: move toward {2} with hands lowered",
        steps=["{1}: raise a hand above the head", "the hand of {1}: swing toward the hand of {2}",
               "the palm of {1}: slap the palm of {2}", "{1}: lower the hand"],
        outcome="{1} and {2}: be past each other with hands lowered",
        response="mirror",
        contact="medium", motion="high",
    ),
    dict(
        id="hum-social-04", type="social", pairing="human-human",
        objects=[("man", "man in a blue windbreaker"), ("woman", "woman with a red umbrella")],
        image="Two sides of a narrow street. A man in a blue windbreaker stands on the left pavement and a "
              "woman with a red umbrella stands on the right pavement, hands lowered.",
        video="Across a narrow street, a man in a blue windbreaker notices a woman with a red umbrella and "
              "waves at her; she sees him and waves back with her free hand.",
        subject=1, object=2, action="waves at {2}", passive="waved at",
        before="{1}: stand across the street from {2} with the hands lowered",
        steps=["{1}: turn toward {2}", "{1}: raise a hand", "the raised hand of {1}: move from side to side",
               "{1}: keep facing {2}"],
        outcome="{1}: face {2} with a raised hand",
        response="mirror",
        contact="low", motion="low",
    ),
    dict(
        id="hum-social-05", type="social", pairing="human-human",
        objects=[("woman", "grandmother in a knitted shawl"), ("child", "boy in pyjamas")],
        image="A bedroom at night. A boy in pyjamas lies in bed under a blanket; a grandmother in a knitted "
              "shawl sits on the edge of the bed beside him.",
        video="A grandmother in a knitted shawl sitting on the edge of a bed leans over a boy in pyjamas "
              "and kisses him on the forehead, then straightens up and smooths the blanket.",
        subject=1, object=2, action="kisses {2} on the forehead", passive="kissed",
        before="{1}: sit upright beside {2}",
        steps=["{1}: lean over {2}", "the face of {1}: come close to the forehead of {2}",
               "the lips of {1}: touch the forehead of {2}", "{1}: sit back up"],
        outcome="{1}: sit upright beside {2}",
        contact="medium", motion="low",
    ),
    dict(
        id="hum-social-06", type="social", pairing="human-human",
        objects=[("woman", "bride in a white gown"), ("man", "groom in a black tuxedo"),
                 ("glass", "champagne flute held by the bride"), ("glass", "champagne flute held by the groom")],
        image="A wedding reception. A bride in a white gown and a groom in a black tuxedo stand side by side, "
              "each holding a champagne flute at chest height, the flutes apart.",
        video="At a wedding reception, a bride in a white gown raises her champagne flute and clinks it "
              "against the flute held by a groom in a black tuxedo; both then sip their champagne.",
        subject=1, object=4, action="clinks {3} against {4}", passive="clinked",
        before="{3} and {4}: be held apart at chest height",
        steps=["{1}: raise {3} toward {4}", "{3}: move toward {4}", "the rim of {3}: touch the rim of {4}",
               "{1}: bring {3} to her lips"],
        outcome="{1}: sip from {3}",
        contact="low", motion="low",
    ),
]
